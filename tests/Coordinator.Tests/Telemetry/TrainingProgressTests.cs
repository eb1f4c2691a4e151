using System.Diagnostics;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Tests.Telemetry;

public class TrainingProgressTests
{
    [Fact]
    public void OffATerminalItLogsAPlainLineEveryInterval()
    {
        var output = new StringWriter();
        long now = 0;
        using var progress = new TrainingProgress(output, "auto", epochs: 3, stepsPerEpoch: 100, interval: TimeSpan.FromSeconds(10), clock: () => now);

        for (var s = 1; s <= 30; s++)
        {
            now += Stopwatch.Frequency;
            progress.Step(new StepMetrics(1, s, 0.5, 1e-3, 128, 0.5));
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("epoch 1/3  step 10/100  loss 0.5000  256 samples/s  ETA 0:45", lines[0]);
        Assert.DoesNotContain('\u001b', output.ToString());
    }

    [Fact]
    public void OnATerminalOtherLinesGoAboveTheBar()
    {
        var output = new StringWriter();
        long now = 0;
        using var progress = new TrainingProgress(output, "bar", epochs: 1, stepsPerEpoch: 4, clock: () => now);

        now += Stopwatch.Frequency;
        progress.Step(new StepMetrics(1, 1, 0.25, 1e-3, 64, 0.1));
        progress.Output.WriteLine("[rank 1] a worker's line");

        var text = output.ToString();
        Assert.Contains("epoch 1/1 ██████░░░░░░░░░░░░░░░░░░ 1/4  loss 0.2500  640 samples/s  ETA 0:00", text);
        var line = text.IndexOf("[rank 1] a worker's line\n", StringComparison.Ordinal);
        Assert.True(line > 0);
        Assert.EndsWith("ETA 0:00", text.TrimEnd());
        Assert.Contains("\r\u001b[2K[rank 1]", text);
    }

    [Fact]
    public void NoneShowsNothing()
    {
        var output = new StringWriter();
        using var progress = new TrainingProgress(output, "none", 1, 1, interval: TimeSpan.Zero);

        progress.Step(new StepMetrics(1, 1, 1, 1, 1, 1));

        Assert.Same(output, progress.Output);
        Assert.Empty(output.ToString());
    }
}
