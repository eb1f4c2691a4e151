namespace Distributed.Integration.Tests;

/// <summary>A rank that stops mid-job is named by the coordinator's stall warning before the peer timeout ends the job.</summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class StallWarningTests
{
    [Fact]
    public async Task FrozenRankIsNamedAsNotArrivedWhileTheOthersWait()
    {
        using var job = new ProgramRun(["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "4096", "--epochs", "500", "--batch-size", "64",
            "--workers", "3", "--threads", "1", "--peer-timeout", "8", "--stall-warning", "1"]);
        await job.WaitForOutputAsync("epoch 1/500", TimeSpan.FromSeconds(90));
        var pids = ProgramRun.StartedWorkers(job.Stdout).ToDictionary(w => w.Rank, w => w.Pid);

        // SIGSTOP rank 1: rank 2 waits for it directly, rank 0 only through rank 2; neither knows who is to blame.
        using (var stop = System.Diagnostics.Process.Start("kill", ["-STOP", $"{pids[1]}"]))
        {
            await stop.WaitForExitAsync();
        }

        await job.WaitForOutputAsync("is stalled", TimeSpan.FromSeconds(20));
        Assert.Equal(1, await job.WaitAsync(TimeSpan.FromSeconds(40)));

        var warning = job.Stdout.Split('\n').First(l => l.Contains("is stalled", StringComparison.Ordinal));
        Assert.Matches(@"warning: step \d+ is stalled: rank 1 has not arrived at its collectives \(waiting: ", warning);
        Assert.Matches(@"rank 2 [\d.]+ s at step \d+ in (bucket 0's (reduce-scatter|all-gather)|the parameter all-gather|the gradient-norm all-reduce) for rank 1", warning);
        Assert.DoesNotMatch(@"ranks? [02] ha(s|ve) not arrived", warning);
    }
}
