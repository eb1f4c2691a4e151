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
        // Not System.Random seeded per trial: its first draws for neighbouring seeds are nearly equal (measured: the
        // learning rate rose with the trial index), and HashCode is salted per process. SplitMix64 mixes well from
        // any start and is the same everywhere.
        var state = ((ulong)(uint)_seed << 32) | (uint)index;
        return [.. Specs.Select(s => new KeyValuePair<string, string>(s.Name, s.At(Next(ref state))))];
    }

    /// <summary>SplitMix64 (Steele, Lea, Flood 2014): a uniform double in [0,1) from the top 53 bits.</summary>
    private static double Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
