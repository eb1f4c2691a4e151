using System.Globalization;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>The human-readable lines `train` prints.</summary>
internal static class ConsoleReport
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Epoch(EpochMetrics e, int epochs) => string.Create(Invariant,
        $"epoch {e.Epoch}/{epochs}  loss {e.TrainLoss:F4}{Percent("  train acc", e.TrainAccuracy)}" +
        $"{(e.TestLoss is { } tl ? $"  test loss {tl:F4}" : "")}{Percent("  test acc", e.TestAccuracy)}" +
        $"  {e.SamplesPerSecond:N0} samples/s  {e.Seconds:F1} s");

    public static string Final(TrainingResult r) => string.Create(Invariant,
        $"done: {r.Steps} steps, final loss {r.FinalLoss:G6}{Percent(", test accuracy", r.TestAccuracy)}, {r.SamplesPerSecond:N0} samples/s over {r.TrainSeconds:F1} s of training");

    private static string Percent(string label, double? value) =>
        value is { } v ? string.Create(Invariant, $"{label} {v * 100:F2}%") : "";
}
