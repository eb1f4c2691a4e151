using System.Text.Json;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Telemetry;

namespace Distributed.Coordinator.Tests.Telemetry;

public class TimelineWriterTests
{
    [Fact]
    public void OverlappingSpansGoToLanesWhereTheyNestAndOffsetsMoveThemOntoOneAxis()
    {
        using var dir = new TempDirectory();
        var path = dir.File("timeline.json");
        var origin = ClockSync.NowUnixNanos();
        using (var timeline = new TimelineWriter(path))
        {
            timeline.DescribeProcess(1, "rank 0");

            // A step; backward inside it; a collective that starts in backward and outlives it.
            timeline.Add(1,
            [
                Span("step", origin + 1_000_000, 10_000_000),
                Span("backward", origin + 2_000_000, 3_000_000),
                Span("all-reduce", origin + 4_000_000, 5_000_000),
            ], offsetNanos: 0);

            // A worker whose clock runs 50 ms ahead of the coordinator's.
            timeline.Add(2, [Span("step", origin + 50_000_000 + 1_000_000, 1_000_000)], offsetNanos: 50_000_000);
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var events = doc.RootElement.EnumerateArray().Where(e => e.GetProperty("ph").GetString() == "X").ToDictionary(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("name").GetString()!));
        Assert.Equal(0, events[(1, "step")].GetProperty("tid").GetInt32());
        Assert.Equal(0, events[(1, "backward")].GetProperty("tid").GetInt32());
        Assert.Equal(1, events[(1, "all-reduce")].GetProperty("tid").GetInt32());
        Assert.Equal(events[(1, "step")].GetProperty("ts").GetDouble(), events[(2, "step")].GetProperty("ts").GetDouble(), 3);
        Assert.Equal(3000, events[(1, "backward")].GetProperty("dur").GetDouble());
        Assert.Equal("7", events[(1, "step")].GetProperty("args").GetProperty("step").GetString());
    }

    [Fact]
    public void AFileCutOffMidJobStillHoldsCompleteEvents()
    {
        using var dir = new TempDirectory();
        var path = dir.File("timeline.json");
        var timeline = new TimelineWriter(path);
        timeline.Add(0, [Span("step", ClockSync.NowUnixNanos(), 1000)], 0);

        // Not disposed: the array is not closed, which the trace-event format allows.
        var text = File.ReadAllText(path);
        Assert.StartsWith("[", text);
        using var doc = JsonDocument.Parse(text + "]");
        Assert.Single(doc.RootElement.EnumerateArray(), e => e.GetProperty("ph").GetString() == "X");
        timeline.Dispose();
    }

    private static SpanSummary Span(string name, long start, long duration) =>
        new(name, "trace", $"{name}-id", "", start, duration, [new("step", "7")]);
}
