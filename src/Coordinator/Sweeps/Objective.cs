using Distributed.Coordinator.Cli;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Sweeps;

/// <summary>
/// What a sweep optimises: one per-epoch metric, and whether more is better. Pruners compare per-epoch values of
/// the same metric, so the final value is simply the last epoch's.
/// </summary>
internal sealed record Objective(string Metric, bool Maximize)
{
    public const string DefaultMetric = "test_accuracy";

    public static readonly IReadOnlyList<string> Metrics = ["test_accuracy", "test_loss", "final_loss", "train_loss", "train_accuracy"];

    /// <param name="direction">max, min, or null: accuracies are maximised, losses minimised.</param>
    public static Objective Create(string metric, string? direction)
    {
        if (!Metrics.Contains(metric))
        {
            throw new UsageException($"unknown objective '{metric}' (expected one of: {string.Join(", ", Metrics)})");
        }

        var maximize = direction switch
        {
            null => metric.EndsWith("accuracy", StringComparison.Ordinal),
            "max" => true,
            "min" => false,
            _ => throw new UsageException($"unknown direction '{direction}' (expected max or min)"),
        };
        return new Objective(metric, maximize);
    }

    public string Direction => Maximize ? "max" : "min";

    /// <summary>The metric in one epoch's report; null when the run does not measure it (no test set, a regression).</summary>
    public double? Of(EpochMetrics e) => Metric switch
    {
        "test_accuracy" => e.TestAccuracy,
        "test_loss" => e.TestLoss,
        "train_accuracy" => e.TrainAccuracy,
        _ => e.TrainLoss, // final_loss is the last epoch's training loss, as `train --json` reports it
    };

    /// <summary>Higher is better, whatever the direction: what pruners and rankings compare.</summary>
    public double Score(double value) => Maximize ? value : -value;

    /// <summary>Whether <paramref name="a"/> beats <paramref name="b"/>.</summary>
    public bool Better(double a, double b) => Score(a) > Score(b);
}
