using Distributed.Coordinator.Sweeps;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// A trial trained in this process, on a thread of its own: what `train` without --workers does, with the trial's
/// output going to its directory (metrics, summary, log) instead of the console. Pruning cancels the trainer's token,
/// which it checks before every step.
/// </summary>
internal sealed class InProcessTrial(TrialArguments arguments) : ITrialExecutor
{
    public Task<TrialOutcome> RunAsync(TrialRun trial, Func<EpochMetrics, bool> prune, CancellationToken cancel) =>
        Task.Factory.StartNew(() => Run(trial, prune, cancel), cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private TrialOutcome Run(TrialRun trial, Func<EpochMetrics, bool> prune, CancellationToken cancel)
    {
        var history = new List<EpochMetrics>();
        using var log = new StreamWriter(Path.Combine(trial.Directory, ITrialExecutor.LogFile));
        log.WriteLine(TrialArguments.Display(trial.Arguments));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var pruned = false;
        try
        {
            var settings = arguments.Read(trial.Arguments);
            var job = JobSetup.Build(settings);
            using var device = job.Model.Backend as IDisposable;
            using var metrics = new MetricsFiles(settings.Out!, settings.MetricsFormat, DistributedRun.PlotTitle(job, 0));
            var trainer = new Trainer(job.Model, job.CreateOptimizer(), job.Options, job.Data.Train.TargetLength);
            trainer.StepCompleted += metrics.Step;
            trainer.EpochCompleted += e =>
            {
                metrics.Epoch(e);
                history.Add(e);
                log.WriteLine(ConsoleReport.Epoch(e, job.Options.Epochs));
                log.Flush();
                if (prune(e))
                {
                    pruned = true;
                    stop.Cancel();
                }
            };

            var result = trainer.Fit(job.Data.Train, job.Data.Test, stop.Token);
            log.WriteLine(ConsoleReport.Final(result));
            RunSummary.From(job, result, parameters: null, workers: 0).Write(settings.Json!);
            return new TrialOutcome(TrialStatus.Completed, history);
        }
        catch (OperationCanceledException) when (pruned && !cancel.IsCancellationRequested)
        {
            log.WriteLine($"pruned after epoch {history.Count}");
            return new TrialOutcome(TrialStatus.Pruned, history);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Any failure of one trial (a bad combination, a divergence, a bug it hits) is that trial's result; the sweep goes on.
            var error = CliApp.OneLine(ex);
            log.WriteLine($"error: {error}");
            return new TrialOutcome(TrialStatus.Failed, history, error);
        }
    }
}
