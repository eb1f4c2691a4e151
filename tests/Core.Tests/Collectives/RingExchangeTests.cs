using Distributed.Core.Collectives;

namespace Distributed.Core.Tests.Collectives;

/// <summary>The small-message all-reduce (<see cref="RingCollectives.ExchangeMaxFloats"/>): whole buffers around the ring, summed in rank order.</summary>
public class RingExchangeTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var n in new[] { 1, 2, 3, 4, 5 })
        {
            foreach (var length in new[] { 1, Math.Max(1, n - 1), 2, 7, 13, 101, 1009 })
            {
                data.Add(n, length, 3);
            }

            data.Add(n, 65_537, 4096);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task EveryRankGetsTheRankOrderSumBitwise(int n, int length, int chunk)
    {
        var inputs = RingCollectivesTests.RandomInputs(n, length, seed: 11);
        var buffers = inputs.Select(a => (float[])a.Clone()).ToArray();

        await RingCollectivesTests.RunRanks(n, chunk, (ring, r) => ring.AllReduceAsync(buffers[r], new CollectiveTag(4, 1), CancellationToken.None), exchangeMaxFloats: int.MaxValue);

        // ((b0 + b1) + b2) + … in float arithmetic: the exact bits every rank must hold.
        var expected = (float[])inputs[0].Clone();
        for (var q = 1; q < n; q++)
        {
            for (var i = 0; i < length; i++)
            {
                expected[i] += inputs[q][i];
            }
        }

        for (var r = 0; r < n; r++)
        {
            Assert.True(expected.AsSpan().SequenceEqual(buffers[r]), $"rank {r} differs from the rank-order sum");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task RepeatedExchangesReuseTheScratchAndStayCorrect(int n)
    {
        var rings = InProcessRing.Create(n).Select(t => new RingCollectives(t, 5) { ExchangeMaxFloats = 64 }).ToArray();
        for (var step = 0; step < 10; step++)
        {
            // Lengths shrink and grow: the scratch from a longer message must not leak into a shorter one.
            var length = step % 2 == 0 ? 64 : 17;
            var buffers = Enumerable.Range(0, n).Select(r => Enumerable.Range(0, length).Select(i => (float)((r * 100) + i + step)).ToArray()).ToArray();
            await Task.WhenAll(rings.Select((ring, r) => Task.Run(() => ring.AllReduceAsync(buffers[r], new CollectiveTag(step, 0), CancellationToken.None))));

            var expected = Enumerable.Range(0, length).Select(i => (float)Enumerable.Range(0, n).Sum(r => (r * 100) + i + step)).ToArray();
            Assert.All(buffers, b => Assert.Equal(expected, b));
        }
    }

    [Fact]
    public async Task ARingRankMeetingAnExchangeRankFailsWithAProtocolError()
    {
        // Both sides must choose the same algorithm; if they ever do not, the chunk header says so at once.
        var transports = InProcessRing.Create(2);
        var rings = new[] { new RingCollectives(transports[0], 4, TimeSpan.FromSeconds(5)) { ExchangeMaxFloats = 0 }, new RingCollectives(transports[1], 4, TimeSpan.FromSeconds(5)) { ExchangeMaxFloats = 100 } };
        var tasks = rings.Select((ring, r) => Task.Run(() => ring.AllReduceAsync(new float[10], CollectiveTag.None, CancellationToken.None))).ToArray();

        await Assert.ThrowsAsync<RingProtocolException>(() => tasks[0]);
    }

    [Fact]
    public async Task TheExchangeSendsTheWholeBufferNMinusOneTimes()
    {
        const int n = 3;
        const int length = 1000;
        var rings = InProcessRing.Create(n).Select(t => new RingCollectives(t, 100) { ExchangeMaxFloats = length }).ToArray();
        await Task.WhenAll(rings.Select(ring => Task.Run(() => ring.AllReduceAsync(new float[length], CollectiveTag.None, CancellationToken.None))));

        Assert.All(rings, ring => Assert.Equal((long)(n - 1) * length * sizeof(float), ring.BytesSent));
    }
}
