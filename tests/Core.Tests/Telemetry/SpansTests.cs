using System.Diagnostics;
using Distributed.Core.Collectives;
using Distributed.Core.Telemetry;

namespace Distributed.Core.Tests.Telemetry;

[Collection(nameof(ListensToSpans))]
public class SpansTests
{
    [Fact]
    public void WithoutAListenerNothingIsStarted()
    {
        Assert.False(Spans.Source.HasListeners());
        Assert.Null(Spans.StartStep(1, 1, 64));
        Assert.Null(Spans.StartPhase(Spans.Forward));
        Assert.Null(Spans.StartDetached(Spans.Step));
    }

    [Fact]
    public void PhasesAreLeavesOfTheStepAndTakeItsRank()
    {
        var finished = new List<Activity>();
        using var listener = Listen(finished);

        using (var step = Spans.StartStep(7, 2, 128)!)
        {
            step.SetTag(SpanTags.Rank, 1);
            using (Spans.StartPhase(Spans.Backward))
            {
                // A collective launched during backward must hang under the step, not under backward.
                Assert.Same(step, Activity.Current);
                using var collective = Spans.StartChild(Spans.AllReduce, 1);
            }
        }

        Assert.Null(Activity.Current);
        var byName = finished.ToDictionary(a => a.OperationName);
        Assert.Equal(byName[Spans.Step].SpanId, byName[Spans.Backward].ParentSpanId);
        Assert.Equal(byName[Spans.Step].SpanId, byName[Spans.AllReduce].ParentSpanId);
        Assert.Equal(1, byName[Spans.Backward].GetTagItem(SpanTags.Rank));
        Assert.Equal(7L, byName[Spans.Step].GetTagItem(SpanTags.Step));
    }

    [Fact]
    public void PhasesOutsideAStepStartNoTrace()
    {
        var finished = new List<Activity>();
        using var listener = Listen(finished);

        Assert.Null(Spans.StartPhase(Spans.Forward));
    }

    [Fact]
    public void DetachedSpansLeaveTheCurrentSpanAlone()
    {
        var finished = new List<Activity>();
        using var listener = Listen(finished);
        using var outer = Spans.Source.StartActivity("outer")!;

        var detached = Spans.StartDetached(Spans.Step)!;
        Assert.Same(outer, Activity.Current);
        Spans.StopDetached(detached);

        Assert.Same(outer, Activity.Current);
        Assert.Equal(default, detached.ParentSpanId);
    }

    [Fact]
    public async Task AllReduceIsAReduceScatterThenAnAllGatherWithBytesChunksAndWait()
    {
        var finished = new List<Activity>();
        using var listener = Listen(finished);
        var rings = InProcessRing.Create(2);
        var buffers = new[] { new float[1000], new float[1000] };

        await Task.WhenAll(Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            new RingCollectives(rings[r], chunkFloats: 128) { ExchangeMaxFloats = 0 }.AllReduceAsync(buffers[r], new CollectiveTag(5, 3), CancellationToken.None))));

        Activity[] Of(string name) => finished.Where(a => a.OperationName == name).OrderBy(a => (int)a.GetTagItem(SpanTags.Rank)!).ToArray();
        var allReduces = Of(Spans.AllReduce);
        Assert.Equal([0, 1], allReduces.Select(a => (int)a.GetTagItem(SpanTags.Rank)!));
        foreach (var name in new[] { Spans.ReduceScatter, Spans.AllGather })
        {
            var phases = Of(name);
            Assert.Equal(allReduces.Select(a => a.SpanId), phases.Select(p => p.ParentSpanId));
            Assert.All(phases, p =>
            {
                Assert.Equal(4000L, p.GetTagItem(SpanTags.Bytes));
                Assert.Equal(2000L, p.GetTagItem(SpanTags.BytesSent));
                Assert.Equal(4L, p.GetTagItem(SpanTags.Chunks));
                Assert.Equal(3, p.GetTagItem(SpanTags.Bucket));
                Assert.Equal(5L, p.GetTagItem(SpanTags.Step));
                Assert.True((double)p.GetTagItem(SpanTags.WaitMs)! >= 0);
            });
        }
    }

    [Fact]
    public async Task ASmallAllReduceIsOneSpanWithItsBytesChunksAndWait()
    {
        var finished = new List<Activity>();
        using var listener = Listen(finished);
        var rings = InProcessRing.Create(2);
        var buffers = new[] { new float[1000], new float[1000] };

        await Task.WhenAll(Enumerable.Range(0, 2).Select(r => Task.Run(() =>
            new RingCollectives(rings[r], chunkFloats: 128) { ExchangeMaxFloats = 1000 }.AllReduceAsync(buffers[r], new CollectiveTag(5, 3), CancellationToken.None))));

        var mine = finished.Where(a => a.GetTagItem(SpanTags.Step) is 5L).ToArray();
        Assert.All(mine, a => Assert.Equal(Spans.AllReduce, a.OperationName));
        Assert.Equal(2, mine.Length);
        Assert.All(mine, a =>
        {
            Assert.Equal(4000L, a.GetTagItem(SpanTags.BytesSent));
            Assert.Equal(8L, a.GetTagItem(SpanTags.Chunks));
            Assert.True((double)a.GetTagItem(SpanTags.WaitMs)! >= 0);
        });
    }

    private static ActivityListener Listen(List<Activity> finished)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Spans.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (finished)
                {
                    finished.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}

/// <summary>Tests that listen to the process-wide ActivitySource must not run beside each other (or beside one that needs no listener).</summary>
[CollectionDefinition(nameof(ListensToSpans), DisableParallelization = true)]
public sealed class ListensToSpans;
