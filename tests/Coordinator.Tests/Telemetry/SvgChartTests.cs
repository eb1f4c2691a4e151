using System.Globalization;
using System.Xml.Linq;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Tests.Telemetry;

public class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void TrainingPlotIsAnSvgWithLossAndAccuracyPanelsInsideItsViewBox()
    {
        var steps = Enumerable.Range(1, 50).Select(s => new StepMetrics((s - 1) / 10 + 1, s, 2.0 / s, 1e-3, 64, 0.01)).ToArray();
        var epochs = Enumerable.Range(1, 5).Select(e => new EpochMetrics(e, 1.0 / e, 0.5 + (e * 0.08), 1.1 / e, 0.5 + (e * 0.07), 1000, 1)).ToArray();

        var doc = XDocument.Parse(Plots.Training(steps, epochs, "mlp & friends"));

        var root = doc.Root!;
        Assert.Equal(Svg + "svg", root.Name);
        var box = root.Attribute("viewBox")!.Value.Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, root.Elements(Svg + "g").Count());
        var lines = root.Descendants(Svg + "polyline").ToArray();
        Assert.Equal(["loss per step", "train loss (epoch)", "test loss", "train accuracy", "test accuracy"], lines.Select(l => l.Attribute("data-name")!.Value));
        Assert.Equal(50, Points(lines[0]).Length);
        Assert.All(lines.SelectMany(Points), p => Assert.True(p.X >= 0 && p.X <= box[2] && p.Y >= 0 && p.Y <= box[3], $"{p} outside the view box"));
        Assert.Contains(root.Descendants(Svg + "text"), t => t.Value == "mlp & friends");
    }

    [Fact]
    public void LongSeriesAreAveragedDownAndRegressionHasNoAccuracyPanel()
    {
        var steps = Enumerable.Range(1, 10_000).Select(s => new StepMetrics(1, s, 1.0 + Math.Sin(s), 0.1, 4, 0.001)).ToArray();

        var doc = XDocument.Parse(Plots.Training(steps, [], "linreg"));

        Assert.Single(doc.Root!.Elements(Svg + "g"));
        Assert.True(Points(doc.Root.Descendants(Svg + "polyline").Single()).Length <= SvgChart.MaxPoints);
    }

    [Fact]
    public void BenchmarkPlotsUseLogAxesAndOneLinePerWorkerCount()
    {
        var rows = new[] { (2, 1024L, 0.003), (2, 1L << 20, 0.24), (2, 100L << 20, 0.29), (4, 1024L, 0.001), (4, 1L << 20, 0.06) };

        var bandwidth = XDocument.Parse(Plots.BusBandwidth(rows, "bus bandwidth"));

        Assert.Equal(["2 workers", "4 workers"], bandwidth.Root!.Descendants(Svg + "polyline").Select(l => l.Attribute("data-name")!.Value));
        Assert.Contains(bandwidth.Root.Descendants(Svg + "text"), t => t.Value == "4 MB");
    }

    [Theory]
    [InlineData(0, 1, false, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1 })]
    [InlineData(0, 130, false, new[] { 0.0, 50, 100 })]
    [InlineData(0.001, 10, true, new[] { 0.001, 0.01, 0.1, 1, 10 })]
    public void TicksAreRound(double min, double max, bool log, double[] expected)
    {
        var ticks = SvgChart.Ticks(min, max, log);

        Assert.Equal(expected.Length, ticks.Count);
        Assert.All(expected.Zip(ticks), p => Assert.Equal(p.First, p.Second, 9));
    }

    private static (double X, double Y)[] Points(XElement polyline) =>
        polyline.Attribute("points")!.Value.Split(' ').Select(p => p.Split(',')).Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
}
