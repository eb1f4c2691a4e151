using System.Text.Json;
using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// A lost worker whose replacement never comes back, through the real command line: kill -9 a rank mid-run with
/// `--max-restarts 1`, then kill or freeze (SIGSTOP) the process the launcher starts in its place before it can
/// rejoin. With `--min-workers` the job goes on resharded on the ranks that came back; without it, it fails in one
/// line. Either way no process is left.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class MinWorkersTests
{
    /// <summary>
    /// 2000 samples in batches of 64: 32 steps per epoch, 128 in all, a checkpoint every 10. Rank 1 is killed at the
    /// first, so ~120 steps remain: the run must not end in the moment between the checkpoint's line and the kill.
    /// </summary>
    private static readonly string[] Job =
    [
        "train", "--model", "mlp", "--data", "synthetic", "--batch-size", "64", "--dropout", "0.1", "--clip-norm", "1", "--threads", "1",
        "--epochs", "4", "--synthetic-samples", "2000",
    ];

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(180);

    [Theory]
    [InlineData(Replacement.Killed, "its process exited with code 137")]
    [InlineData(Replacement.Frozen, "within 2 s (--rejoin-timeout)")]
    public async Task WithMinWorkersTheJobGoesOnWithTheRanksThatCameBackAndEndsWithinToleranceOfTheUninterruptedRun(Replacement fate, string why)
    {
        using var dir = new TempDirectory();
        var (code, stdout, stderr) = await ProgramRun.RunAsync([.. Job, "--workers", "3", "--save", dir.File("whole.bin")], Bound);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");

        using var job = new ProgramRun([.. Job, "--workers", "3", "--save", dir.File("shrunk.bin"), "--checkpoint-dir", dir.File("ck"), "--checkpoint-every", "10",
            "--max-restarts", "1", "--min-workers", "2", "--rejoin-timeout", "2", "--timeline", dir.File("timeline.json")]);
        await LoseRankOneForGoodAsync(job, fate);
        var exit = await job.WaitAsync(Bound);

        Assert.True(exit == 0, $"exit {exit}\n{job.Stdout}\n{job.Stderr}");
        Assert.Contains($"rank 1 did not rejoin {(fate == Replacement.Killed ? $"({why})" : why)}; going on with 2 of 3 workers (--min-workers 2)", job.Stdout);
        Assert.Matches(@"resumed from .*step-\d{9}: step \d+, epoch \d after \d+ batches \(written by 3 ranks", job.Stdout);
        Assert.Contains("all 2 ranks hold identical parameters", job.Stdout);
        Assert.True(Relative.Error(ParameterFile.Read(dir.File("shrunk.bin")), ParameterFile.Read(dir.File("whole.bin"))) <= 1e-5);
        Assert.Equal("2", Assert.Single(RestartSpans(dir.File("timeline.json"))).GetProperty("args").GetProperty("world_size").GetString());
        AssertNoneLeft(job);
    }

    [Theory]
    [InlineData(Replacement.Killed, @"^error: the worker process for rank 1 exited with code 137 before it rejoined; too few workers are left for --min-workers 2$")]
    [InlineData(Replacement.Frozen, @"^error: only 1 of 2 workers rejoined within 20 s \(--join-timeout\); the job needs at least 2 \(--min-workers\)$")]
    public async Task WithoutMinWorkersAReplacementThatNeverComesBackFailsTheJobInOneLine(Replacement fate, string error)
    {
        using var dir = new TempDirectory();
        using var job = new ProgramRun([.. Job, "--workers", "2", "--checkpoint-dir", dir.File("ck"), "--checkpoint-every", "10", "--max-restarts", "1", "--join-timeout", "20"]);
        await LoseRankOneForGoodAsync(job, fate);
        var exit = await job.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exit == 1, $"exit {exit}\n{job.Stdout}\n{job.Stderr}");
        Assert.Matches(error, job.Stderr.Trim());
        AssertNoneLeft(job);
    }

    public enum Replacement
    {
        /// <summary>SIGKILL: the launcher sees its process exit, so the job need not wait for it.</summary>
        Killed,

        /// <summary>SIGSTOP: alive but never joining, as a pod that is not scheduled again; only time tells.</summary>
        Frozen,
    }

    /// <summary>Kills rank 1 once the job has checkpointed, then does <paramref name="fate"/> to the process started in its place.</summary>
    private static async Task LoseRankOneForGoodAsync(ProgramRun job, Replacement fate)
    {
        await job.WaitForOutputAsync("step-000000010", Bound);
        Assert.True(ProgramRun.IsAlive(RankOne(job.Stdout)[0]), $"rank 1 ended before it could be killed\n{job.Stdout}\n{job.Stderr}");
        using (var victim = System.Diagnostics.Process.GetProcessById(RankOne(job.Stdout)[0]))
        {
            victim.Kill();
        }

        // A fresh worker takes seconds to start and join; polling this often catches it long before.
        var deadline = DateTime.UtcNow + Bound;
        while (RankOne(job.Stdout).Length < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"rank 1 was not started again\n{job.Stdout}\n{job.Stderr}");
            await Task.Delay(5);
        }

        var replacement = RankOne(job.Stdout)[1];
        using (var signal = System.Diagnostics.Process.Start("kill", [fate == Replacement.Killed ? "-KILL" : "-STOP", $"{replacement}"]))
        {
            await signal.WaitForExitAsync();
        }
    }

    /// <summary>The restart spans in a timeline: one from the loss to the ranks' start from the checkpoint.</summary>
    private static JsonElement[] RestartSpans(string timeline)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(timeline));
        return [.. doc.RootElement.EnumerateArray().Where(e => e.GetProperty("name").GetString() == "restart" && e.GetProperty("ph").GetString() == "X").Select(e => e.Clone())];
    }

    private static int[] RankOne(string stdout) => [.. ProgramRun.StartedWorkers(stdout).Where(w => w.Rank == 1).Select(w => w.Pid)];

    /// <summary>Every worker process the job started, the frozen one included, has gone with it.</summary>
    private static void AssertNoneLeft(ProgramRun job) =>
        Assert.All(ProgramRun.StartedWorkers(job.Stdout).Select(w => w.Pid), pid => Assert.False(ProgramRun.IsAlive(pid), $"pid {pid} is still running"));
}
