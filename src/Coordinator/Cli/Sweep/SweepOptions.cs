using System.CommandLine;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Cli;

/// <summary>The sweep's own flags (the train flags it passes to every trial are <see cref="TrainOptionsSet"/>'s), and the checks that turn them into a <see cref="SweepPlan"/>.</summary>
internal sealed class SweepOptions
{
    public Option<string[]> Params { get; } = new("--param") { Description = "NAME=SPEC, NAME a train flag without dashes; SPEC: [a,b,c] a list, 1..8 integers, uniform(a,b) or log(a,b) floats (repeat for each parameter)" };

    public Option<string> Sampler { get; } = new("--sampler") { Description = "grid (every combination of lists and integer ranges) | random (seeded by --sweep-seed)", DefaultValueFactory = _ => Sweeps.Sampler.GridName };

    public Option<int?> Trials { get; } = new("--trials") { Description = $"trials for --sampler random ({RandomSampler.DefaultTrials})" };

    public Option<int> SweepSeed { get; } = new("--sweep-seed") { Description = "seed of the random sampler (each trial's own --seed is a train flag)" };

    public Option<int> Parallel { get; } = new("--parallel") { Description = "trials at once; the cores are shared among them unless --threads is given", DefaultValueFactory = _ => 1 };

    public Option<int?> MaxFailures { get; } = new("--max-failures") { Description = "start no new trial once more than this many have failed (no limit)" };

    public Option<string> ObjectiveMetric { get; } = new("--objective") { Description = $"the per-epoch metric to optimise: {string.Join(" | ", Objective.Metrics)}", DefaultValueFactory = _ => Objective.DefaultMetric };

    public Option<string?> Direction { get; } = new("--direction") { Description = "max | min (accuracies max, losses min)" };

    public Option<string> PrunerName { get; } = new("--pruner") { Description = "none | median (stop a trial below the median of the others at the same epoch) | asha (successive halving)", DefaultValueFactory = _ => "none" };

    public Option<int> ReductionFactor { get; } = new("--reduction-factor") { Description = $"asha: rungs at epochs 1, η, η², …; the top 1/η at a rung go on ({AshaPruner.DefaultReductionFactor})", DefaultValueFactory = _ => AshaPruner.DefaultReductionFactor };

    public Option<string?> Out { get; } = new("--out") { Description = "the sweep's directory: sweep.json, trials/NNNN/ (each trial's record, metrics and log), summary.json and the plots" };

    public Option<string?> Resume { get; } = new("--resume") { Description = "continue the sweep in this directory: trials that ended are not run again" };

    public IEnumerable<Option> All => [Params, Sampler, Trials, SweepSeed, Parallel, MaxFailures, ObjectiveMetric, Direction, PrunerName, ReductionFactor, Out, Resume];

    public SweepPlan Plan(ParseResult r, TrainSettings fixedSettings, int workers)
    {
        var specs = (r.GetValue(Params) ?? []).Select(ParameterSpec.Parse).ToArray();
        if (specs.Length == 0)
        {
            throw new UsageException("sweep needs at least one --param NAME=SPEC");
        }

        if (specs.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new UsageException($"--param {twice.Key} is given twice");
        }

        var pruner = r.GetValue(PrunerName)!;
        if (pruner != "asha" && r.GetResult(ReductionFactor) is { Implicit: false })
        {
            throw new UsageException("--reduction-factor is for --pruner asha");
        }

        if (r.GetValue(Sampler) != Sweeps.Sampler.RandomName && r.GetResult(SweepSeed) is { Implicit: false })
        {
            throw new UsageException("--sweep-seed is for --sampler random");
        }

        var parallel = r.GetValue(Parallel);
        if (parallel < 1 || parallel > Limits.MaxLocalProcesses)
        {
            throw new UsageException($"--parallel must be between 1 and {Limits.MaxLocalProcesses} on this machine ({Limits.ProcessesPerCore} per core, {Environment.ProcessorCount} cores), got {parallel}");
        }

        if (r.GetValue(MaxFailures) is < 0)
        {
            throw new UsageException($"--max-failures must be 0 or more, got {r.GetValue(MaxFailures)}");
        }

        if (workers != 0)
        {
            Limits.LocalWorkers(workers);
        }

        Limits.Threads(fixedSettings.Threads);
        var objective = Objective.Create(r.GetValue(ObjectiveMetric)!, r.GetValue(Direction));
        var sampler = Sweeps.Sampler.Create(r.GetValue(Sampler)!, specs, r.GetValue(Trials), r.GetValue(SweepSeed));
        var arguments = new TrialArguments(fixedSettings, workers, specs);
        return new SweepPlan(sampler, objective, Pruner.Create(pruner, r.GetValue(ReductionFactor)), parallel, r.GetValue(MaxFailures), arguments);
    }
}
