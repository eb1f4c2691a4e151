using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `sweep`: hyperparameter search over `train` runs, as Optuna, Ray Tune or Katib do it: a search space of train
/// flags (--param), a sampler, trials in parallel, early stopping of bad trials from their per-epoch reports, every
/// trial recorded as it ends so an interrupted sweep can --resume, and a summary, table and plots at the end.
/// </summary>
internal static class SweepCommand
{
    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var d = new DistributedOptionsSet();
        var s = new SweepOptions();
        var command = new Command("sweep", "Hyperparameter search: run `train` over a search space (--param NAME=SPEC), trials in parallel, bad ones stopped early (--pruner), recorded in --out DIR (--resume DIR continues).");
        // The sweep owns each trial's outputs, and its own --resume continues the sweep (trials are not checkpointed).
        var owned = new HashSet<Option>([o.Out, o.Json, o.MetricsFormat, .. o.All.Where(x => x.Name == "--save"), .. o.Checkpointing]);
        command.WithOptions(o.All.Where(x => !owned.Contains(x)).Append(d.Workers).Concat(s.All));

        command.SetAction((parsed, cancel) =>
        {
            if (parsed.GetValue(s.Resume) is { } resume)
            {
                var others = parsed.CommandResult.Children.OfType<OptionResult>().Where(r => !r.Implicit && r.Option != s.Resume).Select(r => r.Option.Name).ToArray();
                if (others.Length > 0)
                {
                    throw new UsageException($"--resume continues the sweep as it was started (its {TrialStore.DefinitionFile}); leave out {string.Join(", ", others)}");
                }

                var store = new TrialStore(resume);
                var again = command.Parse(store.Definition());
                if (again.Errors.Count > 0)
                {
                    throw new UsageException($"--resume {resume}: {TrialStore.DefinitionFile} no longer parses: {again.Errors[0].Message}");
                }

                return RunAsync(o, d, s, again, store, resume: true, output, cancel);
            }

            var directory = parsed.GetValue(s.Out) ?? throw new UsageException("sweep needs --out DIR: every trial's record is kept there, and --resume DIR continues from it");
            return RunAsync(o, d, s, parsed, new TrialStore(directory), resume: false, output, cancel);
        });
        return command;
    }

    private static async Task<int> RunAsync(TrainOptionsSet o, DistributedOptionsSet d, SweepOptions s, ParseResult r, TrialStore store, bool resume, TextWriter output, CancellationToken cancel)
    {
        var plan = s.Plan(r, o.Read(r), r.GetValue(d.Workers));
        if (!resume)
        {
            store.Begin([.. r.Tokens.Where(t => t.Type != TokenType.Command).Select(t => t.Value)]);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sweep: {plan.Sampler.Count} trials ({r.GetValue(s.Sampler)}), {plan.Parallel} at a time, {(plan.Arguments.ThreadsSwept ? "swept" : plan.Arguments.Threads(plan.Parallel).ToString(CultureInfo.InvariantCulture))} threads each{(plan.Arguments.Workers > 0 ? $" per worker, {plan.Arguments.Workers} workers each" : "")}; " +
            $"objective {plan.Objective.Metric} ({plan.Objective.Direction}), pruner {r.GetValue(s.PrunerName)}; records in {store.Directory}"));
        ITrialExecutor executor = plan.Arguments.Workers > 0 ? new LocalJobTrial() : new InProcessTrial(plan.Arguments);
        var runner = new SweepRunner(plan, store, executor, output);
        try
        {
            await runner.RunAsync(cancel).ConfigureAwait(false);
        }
        finally
        {
            // Also after Ctrl-C: what has ended is summarised, and --resume runs the rest.
            Conclude(runner.Records, plan.Objective, store, output);
        }

        var records = runner.Records;
        var failed = records.Where(t => t.Status == TrialStatus.Failed).ToArray();
        if (runner.TooManyFailures)
        {
            throw new JobFailedException($"{failed.Length} trials failed, more than --max-failures {plan.MaxFailures}; the last: {failed[^1].Error}");
        }

        return records.Any(t => t.Status == TrialStatus.Completed)
            ? CliApp.Ok
            : throw new JobFailedException(failed.Length > 0 ? $"no trial completed; trial {failed[0].Trial} failed: {failed[0].Error}" : "no trial completed");
    }

    private static void Conclude(IReadOnlyList<TrialRecord> records, Objective objective, TrialStore store, TextWriter output)
    {
        SweepSummary.From(objective, records).Write(store.SummaryPath);
        if (records.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine(SweepTable.Render(records, objective));
        foreach (var plot in SweepPlots.Write(store.Directory, records, objective))
        {
            output.WriteLine($"plot: {plot}");
        }

        output.WriteLine($"summary: {store.SummaryPath}");
    }
}
