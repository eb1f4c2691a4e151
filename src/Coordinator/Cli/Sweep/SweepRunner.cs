using System.Globalization;
using Distributed.Coordinator.Sweeps;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>What a sweep is once its flags are read and checked.</summary>
internal sealed record SweepPlan(Sampler Sampler, Objective Objective, Pruner Pruner, int Parallel, int? MaxFailures, TrialArguments Arguments);

/// <summary>
/// Runs a sweep's trials, <see cref="SweepPlan.Parallel"/> at a time, each recorded as it ends. Trials already
/// recorded in the store (a resumed sweep) are not run again, but their histories are shown to the pruner first, so
/// it judges new trials against them as it would have. Once more than --max-failures trials have failed no new
/// trial starts.
/// </summary>
internal sealed class SweepRunner(SweepPlan plan, TrialStore store, ITrialExecutor executor, TextWriter output)
{
    private readonly object _gate = new();
    private readonly Dictionary<int, TrialRecord> _records = [];
    private int _failures;

    /// <summary>Raised (under the runner's lock) as each trial's record is saved.</summary>
    public event Action<TrialRecord>? TrialEnded;

    /// <summary>Every trial that has ended, this run's and earlier ones'.</summary>
    public IReadOnlyList<TrialRecord> Records
    {
        get
        {
            lock (_gate)
            {
                return [.. _records.Values.OrderBy(r => r.Trial)];
            }
        }
    }

    public bool TooManyFailures => plan.MaxFailures is { } max && _failures > max;

    public async Task RunAsync(CancellationToken cancel)
    {
        foreach (var record in store.Finished().Values.Where(r => r.Trial < plan.Sampler.Count).OrderBy(r => r.Trial))
        {
            _records[record.Trial] = record;
            _failures += record.Status == TrialStatus.Failed ? 1 : 0;
            foreach (var e in record.History)
            {
                if (plan.Objective.Of(e) is { } value)
                {
                    plan.Pruner.ShouldPrune(record.Trial, e.Epoch, int.MaxValue, plan.Objective.Score(value));
                }
            }
        }

        if (_records.Count > 0)
        {
            output.WriteLine($"resuming: {_records.Count} of {plan.Sampler.Count} trials already ended, not run again");
        }

        var next = -1;
        async Task Lane()
        {
            while (true)
            {
                int trial;
                lock (_gate)
                {
                    do
                    {
                        trial = ++next;
                    }
                    while (trial < plan.Sampler.Count && _records.ContainsKey(trial));

                    if (trial >= plan.Sampler.Count || TooManyFailures)
                    {
                        return;
                    }
                }

                cancel.ThrowIfCancellationRequested();
                var record = await RunTrialAsync(trial, cancel).ConfigureAwait(false);
                lock (_gate)
                {
                    store.Save(record);
                    _records[trial] = record;
                    _failures += record.Status == TrialStatus.Failed ? 1 : 0;
                    lock (output)
                    {
                        output.WriteLine(SweepTable.Ended(record, plan.Sampler.Count, plan.Objective));
                    }

                    TrialEnded?.Invoke(record);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, plan.Parallel).Select(_ => Task.Run(Lane, CancellationToken.None))).ConfigureAwait(false);
    }

    private async Task<TrialRecord> RunTrialAsync(int trial, CancellationToken cancel)
    {
        var values = plan.Sampler.Trial(trial);
        var directory = store.Prepare(trial);
        var arguments = plan.Arguments.For(values, plan.Parallel, directory);
        var command = TrialArguments.Display(arguments);
        var started = DateTime.UtcNow;
        int epochs;
        try
        {
            epochs = plan.Arguments.Read(arguments).Epochs;
        }
        catch (UsageException ex)
        {
            return Record(new TrialOutcome(TrialStatus.Failed, [], ex.Message));
        }

        lock (output)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"trial {trial}/{plan.Sampler.Count}: {SweepTable.Values(values)}"));
        }

        bool Prune(EpochMetrics e) =>
            plan.Objective.Of(e) is { } value && plan.Pruner.ShouldPrune(trial, e.Epoch, epochs, plan.Objective.Score(value));

        var outcome = await executor.RunAsync(new TrialRun(trial, values, arguments, directory, epochs), Prune, cancel).ConfigureAwait(false);
        if (outcome.Status != TrialStatus.Failed && outcome.History.Count > 0 && plan.Objective.Of(outcome.History[^1]) is null)
        {
            outcome = outcome with { Status = TrialStatus.Failed, Error = $"the run does not report {plan.Objective.Metric} (a regression has no accuracy; a run without a test set has no test metrics)" };
        }

        return Record(outcome);

        TrialRecord Record(TrialOutcome o) => new(
            trial,
            values.ToDictionary(),
            o.Status,
            o.History.Count,
            o.History.Count > 0 ? plan.Objective.Of(o.History[^1]) : null,
            o.History,
            command,
            o.Error,
            Math.Round((DateTime.UtcNow - started).TotalSeconds, 3));
    }
}
