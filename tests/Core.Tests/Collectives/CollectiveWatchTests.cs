using System.Collections.Concurrent;
using Distributed.Core.Collectives;

namespace Distributed.Core.Tests.Collectives;

public class CollectiveWatchTests
{
    [Fact]
    public async Task AWaitPastTheDelayIsReportedAndSoIsItsEnd()
    {
        var reports = new ConcurrentQueue<CollectiveWaitReport>();
        using var watch = new CollectiveWatch(TimeSpan.FromMilliseconds(50), reports.Enqueue);
        var rings = InProcessRing.Create(2);
        var early = new RingCollectives(rings[0], chunkFloats: 16) { Watch = watch, ExchangeMaxFloats = 0 };
        var late = new RingCollectives(rings[1], chunkFloats: 16) { ExchangeMaxFloats = 0 };
        var buffers = new[] { new float[64], new float[64] };

        var waiting = early.AllReduceAsync(buffers[0], new CollectiveTag(9, 2), CancellationToken.None);
        await Task.Delay(400);
        Assert.Single(reports);
        await Task.WhenAll(waiting, late.AllReduceAsync(buffers[1], new CollectiveTag(9, 2), CancellationToken.None));

        var all = reports.ToArray();
        Assert.Equal(2, all.Length);
        Assert.Equal(new CollectiveWaitReport(9, 2, CollectivePhase.ReduceScatter, 1, all[0].Waited, false), all[0]);
        Assert.True(all[0].Waited >= TimeSpan.FromMilliseconds(50));
        Assert.True(all[1].Resumed);
        Assert.True(all[1].Waited >= TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task ShortWaitsAreNotReported()
    {
        var reports = new ConcurrentQueue<CollectiveWaitReport>();
        using var watch = new CollectiveWatch(TimeSpan.FromSeconds(5), reports.Enqueue);
        var rings = InProcessRing.Create(2);
        var buffers = new[] { new float[64], new float[64] };

        await Task.WhenAll(Enumerable.Range(0, 2).Select(r => new RingCollectives(rings[r], 16) { Watch = r == 0 ? watch : null }.AllReduceAsync(buffers[r], new CollectiveTag(1, 0), CancellationToken.None)));

        Assert.Empty(reports);
    }
}
