using Distributed.Core.Training;

namespace Distributed.Coordinator.Sweeps;

/// <summary>How a trial ended. A trial still running, or stopped by Ctrl-C, has no record and is run again by --resume.</summary>
internal static class TrialStatus
{
    public const string Completed = "completed";
    public const string Pruned = "pruned";
    public const string Failed = "failed";
}

/// <summary>
/// One finished trial, as DIR/trials/NNNN/trial.json and in summary.json: its parameters, how it ended, the epochs
/// it ran, the objective's last value, every epoch's metrics, and the `train` command line that reruns it.
/// </summary>
internal sealed record TrialRecord(
    int Trial,
    IReadOnlyDictionary<string, string> Params,
    string Status,
    int Epochs,
    double? Value,
    IReadOnlyList<EpochMetrics> History,
    string Command,
    string? Error,
    double Seconds)
{
    /// <summary>The sweep's order: completed trials best first, then pruned ones by the value they were stopped at, then failures.</summary>
    public static IEnumerable<TrialRecord> Ranked(IEnumerable<TrialRecord> trials, Objective objective) =>
        trials.OrderBy(t => t.Status switch { TrialStatus.Completed => 0, TrialStatus.Pruned => 1, _ => 2 })
            .ThenByDescending(t => t.Value is { } v ? objective.Score(v) : double.NegativeInfinity)
            .ThenBy(t => t.Trial);

    /// <summary>The best completed trial; a pruned trial's value is from fewer epochs, so it never wins.</summary>
    public static TrialRecord? Best(IEnumerable<TrialRecord> trials, Objective objective) =>
        Ranked(trials, objective).FirstOrDefault(t => t.Status == TrialStatus.Completed && t.Value is not null);
}
