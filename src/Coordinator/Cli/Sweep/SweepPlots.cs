using System.Globalization;
using Distributed.Coordinator.Sweeps;
using Distributed.Coordinator.Telemetry;
using ScottPlot;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// A sweep's charts, each as PNG and SVG in the sweep's directory, drawn with ScottPlot: the objective per trial in
/// order with the running best, the objective against each parameter, and every trial's per-epoch curve, pruned
/// trials visibly cut short (dashed, ending in a cross).
/// </summary>
internal static class SweepPlots
{
    /// <summary>Beyond this ratio of largest to smallest value a numeric parameter is drawn on a log axis.</summary>
    private const double LogAxisRatio = 50;

    private static readonly Color Pruned = Colors.Gray;
    private static readonly Color Failed = Colors.Red;

    /// <summary>Writes the charts and returns their paths (the PNGs; each has an SVG beside it).</summary>
    public static IReadOnlyList<string> Write(string directory, IReadOnlyList<TrialRecord> trials, Objective objective)
    {
        var written = new List<string>
        {
            Save(ByTrial(trials, objective), Path.Combine(directory, "objective.png")),
            Save(Curves(trials, objective), Path.Combine(directory, "curves.png")),
        };
        foreach (var name in trials.SelectMany(t => t.Params.Keys).Distinct())
        {
            written.Add(Save(ByParameter(trials, objective, name), Path.Combine(directory, $"param-{name}.png")));
        }

        return written;
    }

    private static Plot ByTrial(IReadOnlyList<TrialRecord> trials, Objective objective)
    {
        var plot = New($"{objective.Metric} per trial", "trial", objective.Metric);
        foreach (var (status, color) in StatusColors)
        {
            var shown = trials.Where(t => t.Status == status && t.Value is not null).ToArray();
            if (shown.Length > 0)
            {
                var points = plot.Add.ScatterPoints(shown.Select(t => (double)t.Trial).ToArray(), shown.Select(t => t.Value!.Value).ToArray(), color);
                points.LegendText = status;
                points.MarkerSize = 8;
            }
        }

        var completed = trials.Where(t => t.Status == TrialStatus.Completed && t.Value is not null).OrderBy(t => t.Trial).ToArray();
        if (completed.Length > 0)
        {
            var best = new double[completed.Length];
            for (var i = 0; i < completed.Length; i++)
            {
                best[i] = i == 0 || objective.Better(completed[i].Value!.Value, best[i - 1]) ? completed[i].Value!.Value : best[i - 1];
            }

            var line = plot.Add.Scatter(completed.Select(t => (double)t.Trial).ToArray(), best, Colors.Black);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.MarkerSize = 0;
            line.LegendText = "best so far";
        }

        plot.ShowLegend();
        return plot;
    }

    private static Plot Curves(IReadOnlyList<TrialRecord> trials, Objective objective)
    {
        var plot = New($"{objective.Metric} per epoch, every trial (pruned and failed: grey, ending in ×)", "epoch", objective.Metric);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        var palette = new ScottPlot.Palettes.Category10();
        var best = TrialRecord.Best(trials, objective)?.Trial;
        var prunedLabelled = false;

        // A legend entry per trial would cover the curves; the legend names the best trial and what grey means.
        foreach (var t in trials.OrderBy(t => t.Trial == best).ThenBy(t => t.Trial))
        {
            var points = t.History.Where(e => objective.Of(e) is not null).ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            var xs = points.Select(e => (double)e.Epoch).ToArray();
            var ys = points.Select(e => objective.Of(e)!.Value).ToArray();
            var cut = t.Status != TrialStatus.Completed;
            var line = plot.Add.Scatter(xs, ys, t.Trial == best ? Colors.Black : cut ? Pruned : palette.GetColor(t.Trial));
            line.MarkerSize = 4;
            if (t.Trial == best)
            {
                line.LineWidth = 3;
                line.LegendText = $"best: trial {t.Trial}";
            }

            if (cut)
            {
                // Not dashed: Skia's SVG canvas drops path effects (it says "Unsupported path effect" on stderr).
                line.LineWidth = 1;
                if (!prunedLabelled)
                {
                    line.LegendText = "pruned or failed";
                    prunedLabelled = true;
                }

                plot.Add.Marker(xs[^1], ys[^1], MarkerShape.Cross, 10, t.Status == TrialStatus.Failed ? Failed : Pruned);
            }
        }

        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    private static Plot ByParameter(IReadOnlyList<TrialRecord> trials, Objective objective, string name)
    {
        var plot = New($"{objective.Metric} against {name}", name, objective.Metric);
        var shown = trials.Where(t => t.Value is not null && t.Params.ContainsKey(name)).ToArray();
        var numbers = shown.Select(t => double.TryParse(t.Params[name], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
        Func<TrialRecord, double> x;
        if (numbers.All(double.IsFinite) && numbers.Length > 0)
        {
            var log = numbers.Min() > 0 && numbers.Max() / numbers.Min() > LogAxisRatio;
            x = t => Number(t.Params[name], log);
            if (log)
            {
                // ScottPlot draws log axes as log10 of the data with labels put back (its documented recipe).
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
                {
                    LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
                    MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
                    IntegerTicksOnly = true,
                };
                plot.XLabel($"{name} (log scale)");
            }
        }
        else
        {
            var categories = shown.Select(t => t.Params[name]).Distinct().ToArray();
            x = t => Array.IndexOf(categories, t.Params[name]);
            plot.Axes.Bottom.SetTicks([.. categories.Select((_, i) => (double)i)], categories);
        }

        foreach (var (status, color) in StatusColors)
        {
            var group = shown.Where(t => t.Status == status).ToArray();
            if (group.Length > 0)
            {
                var points = plot.Add.ScatterPoints(group.Select(x).ToArray(), group.Select(t => t.Value!.Value).ToArray(), color);
                points.LegendText = status;
                points.MarkerSize = 8;
            }
        }

        plot.ShowLegend();
        return plot;
    }

    private static IEnumerable<(string Status, Color Color)> StatusColors =>
        [(TrialStatus.Completed, Colors.C0), (TrialStatus.Pruned, Pruned), (TrialStatus.Failed, Failed)];

    private static double Number(string text, bool log)
    {
        var v = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        return log ? Math.Log10(v) : v;
    }

    private static Plot New(string title, string x, string y) => Plots.New(title, x, y);

    private static string Save(Plot plot, string png)
    {
        Plots.Save(plot, png);
        return png;
    }
}
