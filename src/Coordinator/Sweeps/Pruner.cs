using Distributed.Coordinator.Cli;

namespace Distributed.Coordinator.Sweeps;

/// <summary>
/// Early stopping from each trial's per-epoch reports. Scores are higher-is-better (<see cref="Objective.Score"/>).
/// Trials run in parallel, so a pruner is called from several threads and locks its own state.
/// </summary>
internal abstract class Pruner
{
    public static readonly IReadOnlyList<string> Names = ["none", "median", "asha"];

    /// <summary>Whether trial <paramref name="trial"/> should stop after reporting <paramref name="score"/> for <paramref name="epoch"/> (1-based) of <paramref name="epochs"/>.</summary>
    public abstract bool ShouldPrune(int trial, int epoch, int epochs, double score);

    public static Pruner Create(string name, int reductionFactor) => name switch
    {
        "none" => new NoPruner(),
        "median" => new MedianPruner(),
        "asha" => new AshaPruner(reductionFactor),
        _ => throw new UsageException($"unknown pruner '{name}' (expected one of: {string.Join(", ", Names)})"),
    };
}

/// <summary>Every trial runs all its epochs.</summary>
internal sealed class NoPruner : Pruner
{
    public override bool ShouldPrune(int trial, int epoch, int epochs, double score) => false;
}
