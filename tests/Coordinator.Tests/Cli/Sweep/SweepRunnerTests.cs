using Distributed.Coordinator.Cli;
using Distributed.Coordinator.Sweeps;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Tests.Cli.Sweep;

public class SweepRunnerTests
{
    private static readonly string[] Definition =
        ["--model", "linreg", "--optimizer", "sgd", "--batch-size", "1", "--epochs", "9", "--objective", "final_loss", "--param", "lr=[0.01,0.02,0.03,0.04]"];

    [Fact]
    public async Task CtrlCDuringATrialLeavesOnlyEndedTrialsRecordedAndResumeRunsTheRest()
    {
        using var dir = new TempDirectory();
        var specs = new[] { ParameterSpec.Parse("lr=[0.01,0.02,0.03,0.04]") };
        var fixedSettings = new TrainSettings { Model = "linreg", Optimizer = new() { Name = "sgd" }, BatchSize = 1, Epochs = 9 };
        var arguments = new TrialArguments(fixedSettings, workers: 0, specs);
        var plan = new SweepPlan(Sampler.Create("grid", specs, null, 0), Objective.Create("final_loss", null), new NoPruner(), 1, null, arguments);
        var store = new TrialStore(dir.Path);
        store.Begin([.. Definition, "--out", dir.Path]);
        using var ctrlC = new CancellationTokenSource();
        var runner = new SweepRunner(plan, store, new CancelDuring(new InProcessTrial(arguments), trial: 2, epoch: 3, ctrlC), TextWriter.Null);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(ctrlC.Token));

        Assert.Equal([0, 1], store.Finished().Keys.Order());
        Assert.False(File.Exists(Path.Combine(store.TrialDirectory(2), TrialStore.RecordFile)));

        var (code, stdout, err) = CliRunner.Run("sweep", "--resume", dir.Path);

        Assert.True(code == 0, err);
        Assert.Contains("resuming: 2 of 4 trials already ended", stdout);
        Assert.DoesNotContain("trial 0/4:", stdout);
        Assert.DoesNotContain("trial 1/4:", stdout);
        Assert.Contains("trial 2/4:", stdout);
        Assert.Contains("trial 3/4:", stdout);
        Assert.Equal(4, store.Finished().Values.Count(r => r.Status == TrialStatus.Completed));
    }

    /// <summary>Cancels the sweep's token (what Ctrl-C does) when a given trial reports a given epoch.</summary>
    private sealed class CancelDuring(ITrialExecutor inner, int trial, int epoch, CancellationTokenSource ctrlC) : ITrialExecutor
    {
        public Task<TrialOutcome> RunAsync(TrialRun run, Func<EpochMetrics, bool> prune, CancellationToken cancel) =>
            inner.RunAsync(run, e =>
            {
                if (run.Index == trial && e.Epoch == epoch)
                {
                    ctrlC.Cancel();
                }

                return prune(e);
            }, cancel);
    }
}
