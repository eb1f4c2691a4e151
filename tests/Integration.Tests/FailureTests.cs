namespace Distributed.Integration.Tests;

/// <summary>A worker that dies or does not belong ends in a clear error, a non-zero exit and no process left behind.</summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class FailureTests
{
    [Fact]
    public async Task KilledWorkerEndsTheJobNamingItsRankAndStep()
    {
        var (job, pids) = await StartLongJobAsync(peerTimeoutSeconds: 10);
        using var _ = job;
        Assert.Equal(3, pids.Count);

        using (var victim = System.Diagnostics.Process.GetProcessById(pids[1]))
        {
            victim.Kill();
        }

        var code = await job.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(1, code);
        var error = job.Stderr.Trim();
        Assert.Matches(@"rank 1 .*at step \d+", error);
        Assert.DoesNotContain("   at ", error);
        await Task.Delay(500);
        Assert.All(pids.Values, pid => Assert.False(ProgramRun.IsAlive(pid), $"pid {pid} is still running"));
    }

    [Fact]
    public async Task FrozenWorkerEndsTheJobWithinThePeerTimeout()
    {
        var (job, pids) = await StartLongJobAsync(peerTimeoutSeconds: 3);
        using var _ = job;

        // SIGSTOP: the process and its connections stay up, but it neither computes nor answers.
        using (var stop = System.Diagnostics.Process.Start("kill", ["-STOP", $"{pids[1]}"]))
        {
            await stop.WaitForExitAsync();
        }

        var code = await job.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(1, code);
        // Its neighbours report first (rank 2 waited for rank 1, rank 0 for rank 2), but the frozen rank is the one named.
        Assert.StartsWith("error: rank 1 stopped answering", job.Stderr.Trim());
        Assert.Matches(@"at step \d+", job.Stderr);
        await Task.Delay(500);
        Assert.All(pids.Values, pid => Assert.False(ProgramRun.IsAlive(pid), $"pid {pid} is still running"));
    }

    [Fact]
    public async Task WorkerWithAnotherConfigurationIsRefused()
    {
        var port = ProgramRun.FreePort();
        using var secret = new SecretFile();
        using var coordinator = new ProgramRun(["coordinator", "--workers", "1", "--host", "127.0.0.1", "--port", $"{port}", "--model", "linreg", "--lr", "0.1", "--join-timeout", "60", .. secret.Flag]);
        await coordinator.WaitForOutputAsync("listening", TimeSpan.FromSeconds(60));

        var (code, _, stderr) = await ProgramRun.RunAsync(["worker", "--coordinator", $"127.0.0.1:{port}", "--host", "127.0.0.1", "--port", "0", "--model", "linreg", "--lr", "0.2", .. secret.Flag], TimeSpan.FromSeconds(60));

        Assert.Equal(1, code);
        Assert.Contains("refused", stderr);
        Assert.Contains("optimizer", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task WorkerWithAnotherNetworkDescriptionIsRefused()
    {
        var port = ProgramRun.FreePort();
        using var secret = new SecretFile();
        using var coordinator = new ProgramRun(["coordinator", "--workers", "1", "--host", "127.0.0.1", "--port", $"{port}", "--model", "flatten linear(16) relu linear(10)", "--data", "synthetic", "--join-timeout", "60", .. secret.Flag]);
        await coordinator.WaitForOutputAsync("listening", TimeSpan.FromSeconds(60));

        var (code, _, stderr) = await ProgramRun.RunAsync(
            ["worker", "--coordinator", $"127.0.0.1:{port}", "--host", "127.0.0.1", "--port", "0", "--model", "flatten linear(16) gelu linear(10)", "--data", "synthetic", .. secret.Flag], TimeSpan.FromSeconds(60));

        Assert.Equal(1, code);
        Assert.Contains("refused", stderr);
        Assert.Contains("model is 'flatten linear(16) gelu linear(10)' on the worker, 'flatten linear(16) relu linear(10)' on the coordinator", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task WorkerOfAnotherJobIsRefusedWithoutLearningTheJob()
    {
        // Even with this job's secret: its session proof covers the job id it names, so it does not verify here.
        var port = ProgramRun.FreePort();
        using var secret = new SecretFile();
        using var coordinator = new ProgramRun(["coordinator", "--workers", "1", "--host", "127.0.0.1", "--port", $"{port}", "--model", "linreg", "--job-id", "alpha", .. secret.Flag]);
        await coordinator.WaitForOutputAsync("listening", TimeSpan.FromSeconds(60));

        var (code, _, stderr) = await ProgramRun.RunAsync(["worker", "--coordinator", $"127.0.0.1:{port}", "--host", "127.0.0.1", "--port", "0", "--model", "linreg", "--job-id", "beta", .. secret.Flag], TimeSpan.FromSeconds(60));

        Assert.Equal(1, code);
        Assert.Contains("the coordinator refused to let this worker join: refused", stderr);
        Assert.DoesNotContain("alpha", stderr);
    }

    [Fact]
    public async Task WorkerWithoutCoordinatorGivesUpAfterItsJoinTimeout()
    {
        var port = ProgramRun.FreePort();

        using var secret = new SecretFile();

        var (code, stdout, stderr) = await ProgramRun.RunAsync(["worker", "--coordinator", $"127.0.0.1:{port}", "--host", "127.0.0.1", "--port", "0", "--model", "linreg", "--join-timeout", "2", .. secret.Flag], TimeSpan.FromSeconds(60));

        Assert.Equal(1, code);
        Assert.Contains("retrying", stdout);
        Assert.Contains("did not answer within 2 s", stderr);
    }

    /// <summary>A 3-worker job long enough to still be training when a test interferes, and its workers' pids by rank.</summary>
    private static async Task<(ProgramRun Job, Dictionary<int, int> Pids)> StartLongJobAsync(int peerTimeoutSeconds)
    {
        var job = new ProgramRun(["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "4096", "--epochs", "500", "--batch-size", "64",
            "--workers", "3", "--threads", "1", "--peer-timeout", $"{peerTimeoutSeconds}"]);
        await job.WaitForOutputAsync("epoch 1/500", TimeSpan.FromSeconds(90));
        var pids = ProgramRun.StartedWorkers(job.Stdout).ToDictionary(w => w.Rank, w => w.Pid);
        return (job, pids);
    }
}
