using System.Globalization;
using System.Text;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Cli;

/// <summary>The lines a sweep prints: one as each trial ends, and at the end every trial sorted by the objective with the best one's command line to copy.</summary>
internal static class SweepTable
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Values(IEnumerable<KeyValuePair<string, string>> values) => string.Join(' ', values.Select(v => $"{v.Key}={v.Value}"));

    public static string Ended(TrialRecord t, int trials, Objective objective) => string.Create(Invariant,
        $"trial {t.Trial}/{trials} {t.Status} after {t.Epochs} epoch{(t.Epochs == 1 ? "" : "s")}" +
        $"{(t.Value is { } v ? $", {objective.Metric} {Number(v)}" : "")}{(t.Error is { } e ? $": {e}" : "")} ({t.Seconds:F1} s): {Values(t.Params)}");

    public static string Render(IEnumerable<TrialRecord> trials, Objective objective)
    {
        var ranked = TrialRecord.Ranked(trials, objective).ToArray();
        var names = ranked.SelectMany(t => t.Params.Keys).Distinct().ToArray();
        string[] header = ["trial", "status", "epochs", $"{objective.Metric} ({objective.Direction})", .. names, "seconds"];
        var rows = ranked.Select(t => (string[])
        [
            t.Trial.ToString(Invariant), t.Status, t.Epochs.ToString(Invariant), t.Value is { } v ? Number(v) : "-",
            .. names.Select(n => t.Params.TryGetValue(n, out var value) ? value : "-"), t.Seconds.ToString("F1", Invariant),
        ]).ToArray();
        var widths = header.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd());
        }

        if (TrialRecord.Best(ranked, objective) is { } best)
        {
            text.AppendLine(string.Create(Invariant, $"best: trial {best.Trial}, {objective.Metric} {Number(best.Value!.Value)}: {Values(best.Params)}"));
            text.AppendLine($"  {best.Command}");
        }

        var failed = ranked.Where(t => t.Status == TrialStatus.Failed).ToArray();
        foreach (var t in failed)
        {
            text.AppendLine(string.Create(Invariant, $"trial {t.Trial} failed: {t.Error}"));
        }

        return text.ToString().TrimEnd();
    }

    private static string Number(double v) => v.ToString("G5", Invariant);
}
