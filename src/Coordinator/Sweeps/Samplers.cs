using Distributed.Coordinator.Cli;

namespace Distributed.Coordinator.Sweeps;

/// <summary>
/// Which parameters trial i runs with. Each trial's values depend only on its index (and the seed), never on the
/// order trials run or end in, so parallel trials and a resumed sweep see the same trials.
/// </summary>
internal abstract class Sampler(IReadOnlyList<ParameterSpec> specs)
{
    public const string GridName = "grid";
    public const string RandomName = "random";

    protected IReadOnlyList<ParameterSpec> Specs { get; } = specs;

    /// <summary>How many trials the sweep runs.</summary>
    public abstract int Count { get; }

    /// <summary>The parameter values of trial <paramref name="index"/> (0-based), in the order the parameters were given.</summary>
    public abstract IReadOnlyList<KeyValuePair<string, string>> Trial(int index);

    /// <param name="trials">--trials: required by random, refused by grid (the grid is its whole product).</param>
    public static Sampler Create(string name, IReadOnlyList<ParameterSpec> specs, int? trials, int seed) => name switch
    {
        GridName => trials is null ? new GridSampler(specs) : throw new UsageException("--trials does nothing with --sampler grid, which runs every combination; leave it out or use --sampler random"),
        RandomName => new RandomSampler(specs, trials ?? RandomSampler.DefaultTrials, seed),
        _ => throw new UsageException($"unknown sampler '{name}' (expected grid or random)"),
    };
}

/// <summary>Every combination once, the first parameter varying slowest (as itertools.product).</summary>
internal sealed class GridSampler : Sampler
{
    public GridSampler(IReadOnlyList<ParameterSpec> specs)
        : base(specs)
    {
        if (specs.FirstOrDefault(s => !s.Enumerable) is { } range)
        {
            throw new UsageException($"--sampler grid cannot enumerate the float range {range}; give a list or an integer range, or use --sampler random");
        }

        long count = 1;
        foreach (var spec in specs)
        {
            count *= spec.Values.Count;
            if (count > MaxTrials)
            {
                throw new UsageException($"the grid has more than {MaxTrials} combinations; use --sampler random with --trials");
            }
        }

        Count = (int)count;
    }

    /// <summary>Far past any sweep a machine finishes; a bigger grid is a typo (1..100000) more often than a plan.</summary>
    public const int MaxTrials = 100_000;

    public override int Count { get; }

    public override IReadOnlyList<KeyValuePair<string, string>> Trial(int index)
    {
        var values = new KeyValuePair<string, string>[Specs.Count];
        for (var p = Specs.Count - 1; p >= 0; p--)
        {
            var options = Specs[p].Values;
            values[p] = new(Specs[p].Name, options[index % options.Count]);
            index /= options.Count;
        }

        return values;
    }
}

/// <summary>Independent uniform draws per parameter (log-uniform for log ranges), seeded by the sweep seed and the trial's index.</summary>
internal sealed class RandomSampler : Sampler
{
    public const int DefaultTrials = 10;

    private readonly int _seed;

    public RandomSampler(IReadOnlyList<ParameterSpec> specs, int trials, int seed)
        : base(specs)
    {
        Count = trials is >= 1 and <= GridSampler.MaxTrials ? trials : throw new UsageException($"--trials must be between 1 and {GridSampler.MaxTrials}, got {trials}");
        _seed = seed;
    }

    public override int Count { get; }

    public override IReadOnlyList<KeyValuePair<string, string>> Trial(int index)
    {
        // System.Random with a seed is the same sequence on every .NET version and platform; HashCode is not (it is
        // salted per process), so the trial's seed is mixed by hand.
        var random = new Random(unchecked((int)(((uint)_seed * 2654435761u) ^ (uint)index)) & int.MaxValue);
        return [.. Specs.Select(s => new KeyValuePair<string, string>(s.Name, s.At(random.NextDouble())))];
    }
}
