using System.Text.Json;
using System.Xml.Linq;
using Distributed.Coordinator.Tests.Cli;

namespace Distributed.Coordinator.Tests.Telemetry;

/// <summary>The observability flags of a run in this process: the timeline, the picture beside the metrics, bad values.</summary>
[Collection(nameof(ListensToSpans))]
public class TelemetryCommandTests
{
    [Fact]
    public void SingleProcessRunWritesATimelineOfItsStepsAndAPictureBesideTheMetrics()
    {
        using var dir = new TempDirectory();
        var timeline = dir.File("timeline.json");
        var outDir = dir.File("metrics");

        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "256", "--epochs", "2", "--batch-size", "64", "--threads", "1",
            "--out", outDir, "--timeline", timeline, "--save", dir.File("p.bin"));

        Assert.True(code == 0, err);
        Assert.Contains("where the time goes", stdout);
        Assert.Contains($"plot: {Path.Combine(outDir, "training.svg")}", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(timeline));
        var spans = doc.RootElement.EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToArray();
        Assert.Equal(8, spans.Count(e => e.GetProperty("name").GetString() == "step"));
        foreach (var phase in new[] { "data", "forward", "backward", "optimizer" })
        {
            Assert.Equal(8, spans.Count(e => e.GetProperty("name").GetString() == phase));
        }

        Assert.Single(spans, e => e.GetProperty("name").GetString() == "checkpoint");
        var svg = XDocument.Load(Path.Combine(outDir, "training.svg"));
        Assert.Equal("svg", svg.Root!.Name.LocalName);
    }

    [Theory]
    [InlineData("--progress", "fancy", "unknown progress mode 'fancy'")]
    [InlineData("--stall-warning", "0", "--stall-warning must be between")]
    public void BadValuesAreOneLineErrors(string flag, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("train", "--model", "linreg", "--epochs", "1", flag, value);

        Assert.Equal(2, code);
        Assert.Contains(message, err);
    }
}

/// <summary>A timeline listens to the process-wide ActivitySource: no other run may train beside it in this process.</summary>
[CollectionDefinition(nameof(ListensToSpans), DisableParallelization = true)]
public sealed class ListensToSpans;
