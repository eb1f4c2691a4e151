using System.Xml.Linq;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Tests.Telemetry;

public class PlotsTests
{
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    [Fact]
    public void TrainingPlotIsAnSvgAndAPngWithLossAndAccuracy()
    {
        using var dir = new TempDirectory();
        var steps = Enumerable.Range(1, 50).Select(s => new StepMetrics(((s - 1) / 10) + 1, s, 2.0 / s, 1e-3, 64, 0.01)).ToArray();
        var epochs = Enumerable.Range(1, 5).Select(e => new EpochMetrics(e, 1.0 / e, 0.5 + (e * 0.08), 1.1 / e, 0.5 + (e * 0.07), 1000, 1)).ToArray();
        var path = dir.File("training.svg");

        Plots.WriteTraining(path, steps, epochs, "mlp & friends");

        AssertChart(path);
    }

    [Fact]
    public void ARegressionWithNonPositiveLossesStillDraws()
    {
        using var dir = new TempDirectory();
        var steps = Enumerable.Range(1, 300).Select(s => new StepMetrics(1, s, Math.Sin(s), 0.1, 4, 0.001)).ToArray();
        var path = dir.File("training.svg");

        Plots.WriteTraining(path, steps, [], "linreg");

        AssertChart(path);
    }

    [Fact]
    public void BusBandwidthIsDrawnOnLogAxesPerWorkerCount()
    {
        using var dir = new TempDirectory();
        var rows = new[] { (2, 1024L, 0.003), (2, 1L << 20, 0.24), (2, 100L << 20, 0.29), (4, 1024L, 0.001), (4, 1L << 20, 0.06) };
        var path = dir.File("allreduce.svg");

        Plots.WriteBusBandwidth(path, rows, "bus bandwidth");

        AssertChart(path);
    }

    [Fact]
    public void LongSeriesAreAveragedDownInRuns()
    {
        var xs = Enumerable.Range(1, 10_000).Select(i => (double)i).ToArray();

        var (x, y) = Plots.Downsample(xs, xs);

        Assert.True(x.Length <= Plots.MaxPoints);
        Assert.Equal(xs.Average(), x.Average(), 6);
        Assert.Equal(x, y);
        Assert.Equal(100, Plots.Downsample(xs[..100], xs[..100]).X.Length);
    }

    private static void AssertChart(string svg)
    {
        Assert.Equal("svg", XDocument.Load(svg).Root!.Name.LocalName);
        var png = File.ReadAllBytes(Path.ChangeExtension(svg, ".png"));
        Assert.True(png.Length > 1000);
        Assert.Equal(PngSignature, png[..4]);
    }
}
