using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Distributed.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Distributed.Integration.Tests;

/// <summary>
/// A 2-worker job observed through OpenTelemetry's in-memory exporters: one trace per step spanning the coordinator
/// and both ranks, the phases and collectives under each rank's step, the metrics, and the timeline file.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
[Collection(nameof(InProcessTelemetry))]
public class TelemetryTests
{
    /// <summary>ZeRO stage 0, whose buckets are each one all-reduce span with a reduce-scatter and an all-gather under it.</summary>
    private static readonly string[] Train = ["--model", "mlp", "--data", "synthetic", "--synthetic-samples", "512", "--epochs", "2", "--batch-size", "64", "--bucket-mb", "0.25", "--zero", "0"];

    [Fact]
    public async Task TwoWorkerJobGivesOneTracePerStepWithEveryRanksPhasesAndCollectives()
    {
        var spans = new List<Activity>();
        var metrics = new List<MetricSnapshot>();
        using var dir = new TempDirectory();
        var timeline = dir.File("timeline.json");
        int code;
        string stdout, stderr;
        using (var traces = Sdk.CreateTracerProviderBuilder().AddSource(Spans.SourceName).AddInMemoryExporter(spans).Build())
        using (var meters = Sdk.CreateMeterProviderBuilder().AddMeter(Spans.SourceName).AddInMemoryExporter(metrics).Build())
        {
            (code, stdout, stderr) = await InProcessJob.RunAsync(2, Train, ["--timeline", timeline], TimeSpan.FromSeconds(120));
            meters.ForceFlush();
        }

        Assert.True(code == 0, $"{stdout}\n{stderr}");
        Assert.Contains("where the time goes", stdout);

        // 512 samples in batches of 64: 8 steps per epoch, 16 in all, each its own trace.
        var roots = spans.Where(s => s.OperationName == Spans.Step && s.ParentSpanId == default).ToArray();
        Assert.Equal(16, roots.Length);
        Assert.Equal(16, roots.Select(r => r.TraceId).Distinct().Count());
        foreach (var root in roots)
        {
            var step = Convert.ToInt64(root.GetTagItem(SpanTags.Step), CultureInfo.InvariantCulture);
            Assert.Equal(2, root.GetTagItem(SpanTags.WorldSize));
            Assert.Equal(64, root.GetTagItem(SpanTags.GlobalBatch));
            Assert.IsType<double>(root.GetTagItem(SpanTags.Loss));
            Assert.Null(root.GetTagItem(SpanTags.Rank));

            var trace = spans.Where(s => s.TraceId == root.TraceId).ToArray();
            var rankSteps = trace.Where(s => s.OperationName == Spans.Step && s.ParentSpanId == root.SpanId).OrderBy(s => (int)s.GetTagItem(SpanTags.Rank)!).ToArray();
            Assert.Equal([0, 1], rankSteps.Select(s => (int)s.GetTagItem(SpanTags.Rank)!));
            foreach (var rankStep in rankSteps)
            {
                Assert.Equal(step, Convert.ToInt64(rankStep.GetTagItem(SpanTags.Step), CultureInfo.InvariantCulture));
                Assert.Equal(32, rankStep.GetTagItem(SpanTags.LocalBatch));
                Assert.Equal(64, rankStep.GetTagItem(SpanTags.GlobalBatch));
                Assert.Equal(2, rankStep.GetTagItem(SpanTags.WorldSize));
                Assert.NotNull(rankStep.GetTagItem(SpanTags.Epoch));
                Assert.True((double)rankStep.GetTagItem(SpanTags.Loss)! > 0);

                var children = trace.Where(s => s.ParentSpanId == rankStep.SpanId).ToArray();
                var names = children.Select(s => s.OperationName).ToHashSet();
                Assert.Superset(new HashSet<string> { Spans.Data, Spans.Forward, Spans.Backward, Spans.Optimizer, Spans.AllReduce }, names);
                Assert.All(children, c => Assert.Equal(rankStep.GetTagItem(SpanTags.Rank), c.GetTagItem(SpanTags.Rank)));

                // --bucket-mb 0.25 cuts the 1 MB gradient into two buckets: one all-reduce each, each a reduce-scatter then an all-gather.
                var allReduces = children.Where(c => c.OperationName == Spans.AllReduce).ToArray();
                Assert.True(allReduces.Length >= 2, $"{allReduces.Length} buckets");
                Assert.Equal(allReduces.Length, allReduces.Select(a => a.GetTagItem(SpanTags.Bucket)).Distinct().Count());
                foreach (var allReduce in allReduces)
                {
                    var phases = trace.Where(s => s.ParentSpanId == allReduce.SpanId).OrderBy(s => s.StartTimeUtc).ToArray();
                    Assert.Equal([Spans.ReduceScatter, Spans.AllGather], phases.Select(p => p.OperationName));
                    Assert.All(phases, p =>
                    {
                        Assert.True((long)p.GetTagItem(SpanTags.Bytes)! > 0);
                        Assert.True((long)p.GetTagItem(SpanTags.BytesSent)! > 0);
                        Assert.True((long)p.GetTagItem(SpanTags.Chunks)! >= 1);
                        Assert.Equal(allReduce.GetTagItem(SpanTags.Bucket), p.GetTagItem(SpanTags.Bucket));
                    });
                }
            }
        }

        // Evaluation after each epoch: the coordinator's span, a child on each rank.
        var evaluations = spans.Where(s => s.OperationName == Spans.Evaluate && s.ParentSpanId == default).ToArray();
        Assert.Equal(2, evaluations.Length);
        Assert.All(evaluations, e => Assert.Equal(2, spans.Count(s => s.ParentSpanId == e.SpanId && s.OperationName == Spans.Evaluate)));

        AssertMetrics(metrics);
        AssertTimeline(timeline, steps: 16);
    }

    private static void AssertMetrics(List<MetricSnapshot> metrics)
    {
        MetricSnapshot Last(string name) => metrics.Last(m => m.Name == name);
        double Value(MetricPoint p, MetricType type) => type switch
        {
            MetricType.DoubleGauge => p.GetGaugeLastValueDouble(),
            MetricType.LongSum => p.GetSumLong(),
            MetricType.Histogram => p.GetHistogramSum(),
            _ => throw new InvalidOperationException($"{type}"),
        };
        IEnumerable<(object? Rank, double Value)> Points(string name)
        {
            var m = Last(name);
            foreach (var p in m.MetricPoints)
            {
                object? rank = null;
                foreach (var tag in p.Tags)
                {
                    if (tag.Key == SpanTags.Rank)
                    {
                        rank = tag.Value;
                    }
                }

                yield return (rank, Value(p, m.MetricType));
            }
        }

        Assert.True(Points("distributed.train.loss").Single().Value > 0);
        Assert.True(Points("distributed.train.throughput").Single().Value > 0);
        Assert.Equal(16 * 64, Points("distributed.train.samples").Single().Value);
        Assert.True(Points("distributed.train.step.duration").Single().Value > 0);
        Assert.Contains(Points("distributed.train.accuracy"), p => p.Value is > 0 and <= 1);
        foreach (var name in new[] { "distributed.rank.communication.bytes", "distributed.rank.compute.duration", "distributed.collective.duration", "distributed.collective.bus_bandwidth" })
        {
            var byRank = Points(name).GroupBy(p => p.Rank).ToDictionary(g => g.Key!, g => g.Sum(p => p.Value));
            Assert.Equal([0, 1], byRank.Keys.Cast<int>().Order());
            Assert.All(byRank.Values, v => Assert.True(v > 0, name));
        }

        Assert.Equal([0, 1], Points("distributed.collective.wait").Select(p => (int)p.Rank!).Distinct().Order());
    }

    private static void AssertTimeline(string path, int steps)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var events = doc.RootElement.EnumerateArray().ToArray();
        var names = events.Where(e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("name").GetString() == "process_name")
            .ToDictionary(e => e.GetProperty("pid").GetInt32(), e => e.GetProperty("args").GetProperty("name").GetString());
        Assert.Equal("coordinator", names[0]);
        Assert.Equal("rank 0", names[1]);
        Assert.Equal("rank 1", names[2]);
        var complete = events.Where(e => e.GetProperty("ph").GetString() == "X").ToArray();
        foreach (var pid in new[] { 0, 1, 2 })
        {
            Assert.Equal(steps, complete.Count(e => e.GetProperty("pid").GetInt32() == pid && e.GetProperty("name").GetString() == Spans.Step));
        }

        Assert.All(complete, e => Assert.True(e.GetProperty("ts").GetDouble() >= 0 && e.GetProperty("dur").GetDouble() >= 0));
        foreach (var pid in new[] { 1, 2 })
        {
            var names1 = complete.Where(e => e.GetProperty("pid").GetInt32() == pid).Select(e => e.GetProperty("name").GetString()).ToHashSet();
            Assert.Superset(new HashSet<string?> { Spans.Data, Spans.Forward, Spans.Backward, Spans.Optimizer, Spans.AllReduce, Spans.ReduceScatter, Spans.AllGather, Spans.Evaluate }, names1);
        }

        // Within one thread row complete events must nest: any two are disjoint or one contains the other.
        foreach (var row in complete.GroupBy(e => (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32())))
        {
            var intervals = row.Select(e => (Start: e.GetProperty("ts").GetDouble(), End: e.GetProperty("ts").GetDouble() + e.GetProperty("dur").GetDouble())).ToArray();
            foreach (var a in intervals)
            {
                Assert.All(intervals, b => Assert.True(a.End <= b.Start || b.End <= a.Start || (a.Start <= b.Start && b.End <= a.End) || (b.Start <= a.Start && a.End <= b.End), $"{a} and {b} overlap in row {row.Key}"));
            }
        }
    }
}

/// <summary>Tests that listen to the process-wide ActivitySource and Meter must not run beside each other.</summary>
[CollectionDefinition(nameof(InProcessTelemetry), DisableParallelization = true)]
public sealed class InProcessTelemetry;
