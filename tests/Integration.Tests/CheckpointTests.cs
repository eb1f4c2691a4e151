using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// Checkpoints through the real command line: each worker process writes its shard, the coordinator the manifest;
/// a later job resumes on another worker count and ZeRO stage; a job killed with SIGKILL mid-checkpoint leaves the
/// previous checkpoint intact; a run that diverges or cannot write its output says so before anything is lost.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class CheckpointTests
{
    private static readonly string[] Run = ["train", "--model", "mlp", "--data", "synthetic", "--batch-size", "64", "--dropout", "0.1", "--clip-norm", "1", "--threads", "1"];

    /// <summary>600 samples in batches of 64: 10 steps per epoch, 20 in all; checkpoints after 5, 10, 15 and 20.</summary>
    private static readonly string[] Job = [.. Run, "--synthetic-samples", "600", "--epochs", "2"];

    [Fact]
    public async Task WorkersResumeOnTheSameCountToTheSameBitsAndOnAnotherCountAndStageWithinTolerance()
    {
        using var dir = new TempDirectory();
        var checkpoints = dir.File("ck");
        var whole = await Train(dir.File("whole.bin"), "--workers", "2", "--checkpoint-dir", checkpoints, "--checkpoint-every", "5");
        Assert.Contains($"checkpoint {CheckpointDirectory.ForStep(checkpoints, 15)}: ", whole.Stdout);
        Assert.Equal(3, Directory.GetDirectories(checkpoints).Length);
        var midEpoch = CheckpointDirectory.ForStep(checkpoints, 15);
        Assert.Equal(["manifest.json", "rank-00000-of-00002.bin", "rank-00001-of-00002.bin"], Directory.GetFiles(midEpoch).Select(f => Path.GetFileName(f)).Order().ToArray());

        var same = await Train(dir.File("same.bin"), "--workers", "2", "--resume", midEpoch);
        var resharded = await Train(dir.File("resharded.bin"), "--workers", "3", "--zero", "1", "--resume", midEpoch);
        var oneProcess = await Train(dir.File("one.bin"), "--resume", midEpoch);

        Assert.Contains($"resumed from {midEpoch}: step 15, epoch 2 after 5 batches", same.Stdout);
        Assert.Equal(whole.Parameters, same.Parameters);
        Assert.True(Relative.Error(resharded.Parameters, whole.Parameters) <= 1e-5);
        Assert.True(Relative.Error(oneProcess.Parameters, whole.Parameters) <= 1e-5);
    }

    [Fact]
    public async Task KillingEveryProcessWhileACheckpointIsWrittenLeavesAnIntactOneToResumeFrom()
    {
        using var dir = new TempDirectory();
        var checkpoints = dir.File("ck");
        using (var job = new ProgramRun([.. Run, "--synthetic-samples", "600", "--epochs", "200", "--workers", "2", "--checkpoint-dir", checkpoints, "--checkpoint-every", "1", "--keep-checkpoints", "2"]))
        {
            await job.WaitForOutputAsync("step-000000004", TimeSpan.FromSeconds(90));
            var pids = ProgramRun.StartedWorkers(job.Stdout).Select(w => w.Pid).Append(job.Id).ToArray();

            // Wait (briefly) for a moment when a checkpoint has shards but no manifest yet, then SIGKILL every process.
            var deadline = DateTime.UtcNow.AddSeconds(5);
            while (DateTime.UtcNow < deadline && !Directory.GetDirectories(checkpoints).Any(d => !File.Exists(Path.Combine(d, CheckpointManifest.FileName))))
            {
                await Task.Delay(1);
            }

            foreach (var pid in pids)
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }

            await job.WaitAsync(TimeSpan.FromSeconds(30));
        }

        var log = new StringWriter();
        var intact = CheckpointDirectory.Resolve(checkpoints, log);
        var (code, stdout, stderr) = await ProgramRun.RunAsync([.. Run, "--synthetic-samples", "600", "--epochs", $"{intact.Manifest.Epoch}", "--workers", "2", "--resume", checkpoints], TimeSpan.FromSeconds(120));

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains($"resumed from {intact.Directory}", stdout);
    }

    [Fact]
    public async Task AKilledWorkerWithMaxRestartsIsReplacedAndTheRunEndsOnTheUninterruptedBits()
    {
        using var dir = new TempDirectory();
        // 4 epochs of 32 steps: the kill after the first checkpoint (step 10) leaves ~120 steps to run, far more than
        // the few milliseconds between the checkpoint's line and the kill (a CI run once finished 64 steps in them).
        string[] longer = [.. Run, "--epochs", "4", "--synthetic-samples", "2000", "--workers", "2"];
        var whole = await RunToEnd([.. longer, "--save", dir.File("whole.bin")]);

        using var job = new ProgramRun([.. longer, "--save", dir.File("restarted.bin"), "--checkpoint-dir", dir.File("ck"), "--checkpoint-every", "10", "--max-restarts", "1"]);
        await job.WaitForOutputAsync("step-000000010", TimeSpan.FromSeconds(120));
        var rank1 = ProgramRun.StartedWorkers(job.Stdout).Select(w => w.Pid).ElementAt(1);
        Assert.True(ProgramRun.IsAlive(rank1), $"rank 1 ended before it could be killed\n{job.Stdout}\n{job.Stderr}");
        using (var victim = System.Diagnostics.Process.GetProcessById(rank1))
        {
            victim.Kill();
        }

        var code = await job.WaitAsync(TimeSpan.FromSeconds(180));

        Assert.True(code == 0, $"exit {code}\n{job.Stdout}\n{job.Stderr}");
        Assert.Matches(@"restart 1 of 1: every rank starts again from .*step-\d{9}", job.Stdout);
        Assert.Contains("all 2 ranks hold identical parameters", whole);
        Assert.Equal(ParameterFile.Read(dir.File("whole.bin")), ParameterFile.Read(dir.File("restarted.bin")));
        Assert.False(ProgramRun.IsAlive(rank1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task ANonFiniteGradientStopsNamingTheStepAndNothingIsSaved(int workers)
    {
        using var dir = new TempDirectory();
        var save = dir.File("model.bin");
        string[] args = ["train", "--model", "linreg", "--optimizer", "sgd", "--lr", "1", "--epochs", "32", "--batch-size", "4", "--threads", "1", "--save", save, "--json", dir.File("run.json")];

        var (code, stdout, stderr) = await ProgramRun.RunAsync(workers == 0 ? args : [.. args, "--workers", $"{workers}"], TimeSpan.FromSeconds(120));

        Assert.True(code == 1, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("the gradient became non-finite (Σg² = Infinity) at step 32", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Theory]
    [InlineData("--save")]
    [InlineData("--json")]
    [InlineData("--checkpoint-dir")]
    public async Task AnOutputThatCannotBeWrittenIsReportedBeforeTraining(string flag)
    {
        using var dir = new TempDirectory();
        var file = dir.File("plain");
        File.WriteAllText(file, "");
        var target = Path.Combine(file, "out");

        var (code, stdout, stderr) = await ProgramRun.RunAsync(["train", "--model", "linreg", "--workers", "2", flag, target], TimeSpan.FromSeconds(60));

        Assert.Equal(2, code);
        Assert.StartsWith($"error: {flag} {target} cannot be written", stderr.Trim());
        Assert.DoesNotContain("epoch", stdout);
    }

    private static async Task<(float[] Parameters, string Stdout)> Train(string save, params string[] extra)
    {
        var stdout = await RunToEnd([.. Job, "--save", save, .. extra]);
        return (ParameterFile.Read(save), stdout);
    }

    private static async Task<string> RunToEnd(string[] args)
    {
        var (code, stdout, stderr) = await ProgramRun.RunAsync(args, TimeSpan.FromSeconds(180));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return stdout;
    }
}
