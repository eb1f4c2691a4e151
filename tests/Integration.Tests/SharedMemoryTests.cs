namespace Distributed.Integration.Tests;

/// <summary>
/// Ranks on one host exchange through shared memory by themselves, and leave no segment behind: not after a normal
/// end, not after a failure, not after kill -9 of every process of the job.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
[Collection(nameof(SharedMemoryDirectory))]
public class SharedMemoryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private static readonly string[] Job = ["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "512", "--threads", "1", "--progress", "none"];

    [Fact]
    public async Task LocalWorkersLinkThroughSharedMemoryAndLeaveNothingBehind()
    {
        var before = Segments();

        var (code, stdout, stderr) = await ProgramRun.RunAsync([.. Job, "--epochs", "2", "--workers", "3"], Bound);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal(3, CountOf(stdout, "ring links: to rank") - CountOf(stdout, "gRPC"));
        Assert.Equal(before, Segments());
    }

    [Fact]
    public async Task ForcedGrpcSharesNothing()
    {
        var (code, stdout, stderr) = await ProgramRun.RunAsync([.. Job, "--epochs", "2", "--workers", "2", "--transport", "grpc"], Bound);

        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("to rank 1 over gRPC, from rank 1 over gRPC", stdout);
    }

    [Fact]
    public async Task AFailedJobLeavesNoSegment()
    {
        var before = Segments();

        // A learning rate that diverges at once ends the job with a failure on every rank.
        var (code, stdout, stderr) = await ProgramRun.RunAsync([.. Job, "--epochs", "2", "--workers", "2", "--optimizer", "sgd", "--lr", "1e30"], Bound);

        Assert.Equal(1, code);
        Assert.Contains("the gradient became non-finite", stderr + stdout);
        Assert.Equal(before, Segments());
    }

    [Fact]
    public async Task KillingEveryProcessOfTheJobLeavesNoSegment()
    {
        var before = Segments();
        using var run = new ProgramRun([.. Job, "--epochs", "1000", "--workers", "2"]);
        await run.WaitForOutputAsync("rank 1: optimizer state", Bound);
        var pids = ProgramRun.StartedWorkers(run.Stdout).Select(w => w.Pid).Append(run.Id).ToArray();

        foreach (var pid in pids)
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }

        await run.WaitAsync(Bound);
        Assert.Equal(before, Segments());
    }

    private static string[] Segments() => [.. Directory.EnumerateFiles("/dev/shm", "distributed-ring-*").Order()];

    private static int CountOf(string text, string what) => text.Split('\n').Count(l => l.Contains(what, StringComparison.Ordinal));
}

/// <summary>The tests that count segments in /dev/shm run one at a time, so one job's segments are not another's leftovers.</summary>
[CollectionDefinition(nameof(SharedMemoryDirectory), DisableParallelization = true)]
public sealed class SharedMemoryDirectory;
