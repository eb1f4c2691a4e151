using System.Globalization;
using Distributed.Coordinator.Cli;
using Distributed.Core.Training;
using ScottPlot;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// The pictures `train --out` and `bench allreduce --json` draw, with ScottPlot (the sweep's charts use it too):
/// loss and accuracy against step, and bus bandwidth against message size. Each is written as SVG at the path
/// given and as PNG beside it.
/// </summary>
internal static class Plots
{
    private const int Width = 900;
    private const int Height = 500;

    /// <summary>More points than a chart's width shows nothing more; longer series are averaged in runs.</summary>
    public const int MaxPoints = 2000;

    /// <summary>Per-step loss, per-epoch train and test loss (left axis), and per-epoch accuracies (right axis), placed at each epoch's last step.</summary>
    public static void WriteTraining(string path, IReadOnlyList<StepMetrics> steps, IReadOnlyList<EpochMetrics> epochs, string title)
    {
        var lastStep = steps.GroupBy(s => s.Epoch).ToDictionary(g => g.Key, g => (double)g.Max(s => s.Step));
        double At(EpochMetrics e) => lastStep.GetValueOrDefault(e.Epoch, e.Epoch);
        var log = steps.Count > 0 && steps.All(s => s.Loss > 0) && epochs.All(e => e.TrainLoss > 0 && e.TestLoss is null or > 0);
        double Y(double loss) => log ? Math.Log10(loss) : loss;

        var plot = New(title, "step", log ? "loss (log scale)" : "loss");
        if (log)
        {
            LogTicks(plot.Axes.Left, v => v.ToString("G3", CultureInfo.InvariantCulture));
        }

        var (xs, ys) = Downsample(steps.Select(s => (double)s.Step).ToArray(), steps.Select(s => Y(s.Loss)).ToArray());
        Line(plot, xs, ys, "loss per step", Colors.LightSteelBlue, markers: false, width: 1);
        if (epochs.Count > 0)
        {
            Line(plot, [.. epochs.Select(At)], [.. epochs.Select(e => Y(e.TrainLoss))], "train loss (epoch)", Colors.C0);
        }

        var tested = epochs.Where(e => e.TestLoss is not null).ToArray();
        if (tested.Length > 0)
        {
            Line(plot, [.. tested.Select(At)], [.. tested.Select(e => Y(e.TestLoss!.Value))], "test loss", Colors.C1);
        }

        var accuracies = new[] { ("train accuracy", Colors.C0, epochs.Where(e => e.TrainAccuracy is not null).Select(e => (At(e), e.TrainAccuracy!.Value))), ("test accuracy", Colors.C2, epochs.Where(e => e.TestAccuracy is not null).Select(e => (At(e), e.TestAccuracy!.Value))) };
        foreach (var (name, color, points) in accuracies)
        {
            var shown = points.ToArray();
            if (shown.Length > 0)
            {
                var line = Line(plot, [.. shown.Select(p => p.Item1)], [.. shown.Select(p => p.Item2)], name, color);
                // Told apart by open squares, not a dotted line: Skia's SVG canvas drops path effects, noisily.
                line.MarkerShape = MarkerShape.OpenSquare;
                line.LineWidth = 1;
                line.Axes.YAxis = plot.Axes.Right;
                plot.Axes.Right.Label.Text = "accuracy (open squares)";
            }
        }

        plot.ShowLegend();
        Save(plot, path);
    }

    /// <summary>Bus bandwidth against message size on log axes, one line per worker count.</summary>
    public static void WriteBusBandwidth(string path, IEnumerable<(int Workers, long Bytes, double Gbps)> rows, string title)
    {
        var plot = New(title, "message size", "bus bandwidth (GB/s, log scale)");
        // Sizes on a base-2 log axis, so ticks land on round sizes (1 KB, 32 KB, 1 MB, …).
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => ByteSizes.Format((long)Math.Round(Math.Pow(2, v))),
            IntegerTicksOnly = true,
        };
        LogTicks(plot.Axes.Left, v => v.ToString("G3", CultureInfo.InvariantCulture));
        var palette = new ScottPlot.Palettes.Category10();
        var index = 0;
        foreach (var group in rows.Where(r => r.Gbps > 0).GroupBy(r => r.Workers).OrderBy(g => g.Key))
        {
            var ordered = group.OrderBy(r => r.Bytes).ToArray();
            Line(plot, [.. ordered.Select(r => Math.Log2(r.Bytes))], [.. ordered.Select(r => Math.Log10(r.Gbps))], $"{group.Key} workers", palette.GetColor(index++));
        }

        plot.ShowLegend();
        Save(plot, path);
    }

    /// <summary>Means of consecutive runs, so at most <see cref="MaxPoints"/> points remain.</summary>
    public static (double[] X, double[] Y) Downsample(double[] xs, double[] ys)
    {
        if (xs.Length <= MaxPoints)
        {
            return (xs, ys);
        }

        var run = (xs.Length + MaxPoints - 1) / MaxPoints;
        var count = (xs.Length + run - 1) / run;
        var x = new double[count];
        var y = new double[count];
        for (var i = 0; i < count; i++)
        {
            var from = i * run;
            var to = Math.Min(xs.Length, from + run);
            x[i] = xs.AsSpan(from, to - from).ToArray().Average();
            y[i] = ys.AsSpan(from, to - from).ToArray().Average();
        }

        return (x, y);
    }

    /// <summary>
    /// Several runs' training loss on one chart, one line each, against <paramref name="axis"/> (seconds, passes or
    /// step); with <paramref name="log"/> the loss axis is logarithmic (where every loss is positive).
    /// </summary>
    public static void WriteComparison(string path, IReadOnlyList<RunHistory> runs, string axis, string title, bool log)
    {
        log = log && runs.All(r => r.Points.All(p => p.Loss > 0));
        var plot = New(title, axis == "seconds" ? "seconds of training" : axis == "passes" ? "passes over the data" : "step", log ? "training loss (log scale)" : "training loss");
        if (log)
        {
            LogTicks(plot.Axes.Left, v => v.ToString("G4", CultureInfo.InvariantCulture));
        }

        Color[] palette = [Colors.C0, Colors.C1, Colors.C2, Colors.C3, Colors.C4, Colors.C5, Colors.C6, Colors.C7, Colors.C8, Colors.C9];
        for (var i = 0; i < runs.Count; i++)
        {
            var points = runs[i].Points;
            var xs = points.Select(p => axis == "seconds" ? p.Seconds : axis == "passes" ? p.Passes : p.Step).ToArray();
            var (x, y) = Downsample(xs, [.. points.Select(p => log ? Math.Log10(p.Loss) : p.Loss)]);
            Line(plot, x, y, runs[i].Name, palette[i % palette.Length], markers: x.Length <= 200, width: 2);
        }

        plot.ShowLegend();
        Save(plot, path);
    }

    /// <summary>A chart with the project's font, its title and axis labels: every chart starts here.</summary>
    public static Plot New(string title, string x, string y)
    {
        ChartFont.Install();
        var plot = new Plot();
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    private static ScottPlot.Plottables.Scatter Line(Plot plot, double[] xs, double[] ys, string name, Color color, bool markers = true, float width = 2)
    {
        var line = plot.Add.Scatter(xs, ys, color);
        line.LegendText = name;
        line.LineWidth = width;
        line.MarkerSize = markers ? 6 : 0;
        return line;
    }

    /// <summary>ScottPlot draws a log axis as log10 of the data with the labels put back (its documented recipe).</summary>
    private static void LogTicks(IAxis axis, Func<double, string> label) =>
        axis.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = v => label(Math.Pow(10, v)),
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
        };

    /// <summary>Writes <paramref name="plot"/> as SVG and as PNG, at <paramref name="path"/> and beside it (whichever of the two it names).</summary>
    public static void Save(Plot plot, string path)
    {
        var svg = Path.ChangeExtension(path, ".svg");
        var directory = Path.GetDirectoryName(Path.GetFullPath(svg));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        plot.SaveSvg(svg, Width, Height);
        plot.SavePng(Path.ChangeExtension(svg, ".png"), Width, Height);
    }
}
