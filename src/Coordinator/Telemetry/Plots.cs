using System.Globalization;
using Distributed.Coordinator.Cli;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// The pictures the commands draw, as SVG: `train`'s loss and accuracy against step, `bench allreduce`'s bus
/// bandwidth against message size, and throughput against workers for a scaling benchmark (`bench train`).
/// </summary>
internal static class Plots
{
    private const string Blue = "#1f77b4";
    private const string Orange = "#ff7f0e";
    private const string Green = "#2ca02c";
    private const string Grey = "#9ab6d3";

    /// <summary>Per-step loss, per-epoch train and test loss, and per-epoch accuracies placed at each epoch's last step.</summary>
    public static string Training(IReadOnlyList<StepMetrics> steps, IReadOnlyList<EpochMetrics> epochs, string title)
    {
        var lastStep = steps.GroupBy(s => s.Epoch).ToDictionary(g => g.Key, g => (double)g.Max(s => s.Step));
        double At(EpochMetrics e) => lastStep.GetValueOrDefault(e.Epoch, e.Epoch);
        var loss = new List<ChartSeries> { new("loss per step", steps.Select(s => ((double)s.Step, s.Loss)).ToArray(), Grey, StrokeWidth: 1) };
        if (epochs.Count > 0)
        {
            loss.Add(new("train loss (epoch)", epochs.Select(e => (At(e), e.TrainLoss)).ToArray(), Blue, Markers: true));
        }

        if (epochs.Any(e => e.TestLoss is not null))
        {
            loss.Add(new("test loss", epochs.Where(e => e.TestLoss is not null).Select(e => (At(e), e.TestLoss!.Value)).ToArray(), Orange, Markers: true));
        }

        var panels = new List<ChartPanel> { new("loss", loss, LogY: steps.Count > 0 && steps.All(s => s.Loss > 0)) };
        var accuracy = new List<ChartSeries>();
        if (epochs.Any(e => e.TrainAccuracy is not null))
        {
            accuracy.Add(new("train accuracy", epochs.Where(e => e.TrainAccuracy is not null).Select(e => (At(e), e.TrainAccuracy!.Value)).ToArray(), Blue, Markers: true));
        }

        if (epochs.Any(e => e.TestAccuracy is not null))
        {
            accuracy.Add(new("test accuracy", epochs.Where(e => e.TestAccuracy is not null).Select(e => (At(e), e.TestAccuracy!.Value)).ToArray(), Green, Markers: true));
        }

        if (accuracy.Count > 0)
        {
            panels.Add(new("accuracy", accuracy, YMax: 1));
        }

        return SvgChart.Render(title, "step", panels);
    }

    /// <summary>Bus bandwidth against message size on log axes, one line per worker count.</summary>
    public static string BusBandwidth(IEnumerable<(int Workers, long Bytes, double Gbps)> rows, string title)
    {
        string[] colors = [Blue, Orange, Green, "#d62728", "#9467bd"];
        var series = rows.GroupBy(r => r.Workers).OrderBy(g => g.Key)
            .Select((g, i) => new ChartSeries($"{g.Key} workers", g.OrderBy(r => r.Bytes).Select(r => ((double)r.Bytes, r.Gbps)).ToArray(), colors[i % colors.Length], Markers: true))
            .ToArray();
        // Ticks at powers of four from 1 KB (1 KB, 4 KB, … 64 MB), or of sixteen when that is too many to read.
        var sizes = series.SelectMany(s => s.Points).Select(p => p.X).DefaultIfEmpty(1024).ToArray();
        var ticks = Enumerable.Range(0, 16).Select(k => 1024 * Math.Pow(4, k)).Where(t => t >= sizes.Min() / 1.25 && t <= sizes.Max() * 1.25).ToArray();
        if (ticks.Length > 8)
        {
            ticks = ticks.Where((_, i) => i % 2 == 0).ToArray();
        }

        return SvgChart.Render(title, "message size", [new ChartPanel("bus bandwidth (GB/s)", series, LogY: true)], logX: true, xFormat: b => ByteSizes.Format((long)b), xTicks: ticks);
    }

    public static void Write(string path, string svg)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, svg);
    }
}
