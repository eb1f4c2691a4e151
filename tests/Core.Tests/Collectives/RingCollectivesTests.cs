using System.Runtime.InteropServices;
using Distributed.Core.Collectives;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Collectives;

public class RingCollectivesTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var n in new[] { 1, 2, 3, 4, 5, 8 })
        {
            foreach (var length in new[] { 1, Math.Max(1, n - 1), n, 7, 13, 101, 1009 })
            {
                data.Add(n, length, 3);
            }

            data.Add(n, 65_537, 4096);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task AllReduceSumsOnEveryRankBitwiseIdentically(int n, int length, int chunk)
    {
        var inputs = RandomInputs(n, length, seed: 7);
        var buffers = inputs.Select(a => (float[])a.Clone()).ToArray();

        await RunRanks(n, chunk, (ring, r) => ring.AllReduceAsync(buffers[r], new CollectiveTag(3, 0), CancellationToken.None), exchangeMaxFloats: 0);

        for (var i = 0; i < length; i++)
        {
            var exact = inputs.Sum(a => (double)a[i]);
            Assert.True(Math.Abs(buffers[0][i] - exact) <= 1e-5 * n, $"element {i}: {buffers[0][i]} vs {exact}");
        }

        for (var r = 1; r < n; r++)
        {
            Assert.True(buffers[0].AsSpan().SequenceEqual(buffers[r]), $"rank {r} differs from rank 0");
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task ReduceScatterLeavesEachRankTheSumOfItsSegment(int n)
    {
        const int length = 1013;
        var inputs = RandomInputs(n, length, seed: 3);
        var buffers = inputs.Select(a => (float[])a.Clone()).ToArray();

        // A partition clipped to a bucket in the middle: some ranks own nothing of it.
        var segments = Segments.Clip(Segments.Even(length, n), 200, 400);
        await RunRanks(n, 16, (ring, r) => ring.ReduceScatterAsync(buffers[r], segments, new CollectiveTag(0, 2), CancellationToken.None));

        for (var r = 0; r < n; r++)
        {
            for (var i = segments.Start(r); i < segments.Start(r) + segments.Length(r); i++)
            {
                Assert.Equal(inputs.Sum(a => (double)a[i]), buffers[r][i], 4);
            }
        }

        // Outside the clipped range nothing was touched.
        for (var r = 0; r < n; r++)
        {
            Assert.Equal(inputs[r][..200], buffers[r][..200]);
            Assert.Equal(inputs[r][600..], buffers[r][600..]);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(7)]
    public async Task AllGatherCopiesEachRanksSegmentToAll(int n)
    {
        const int length = 97;
        var segments = Segments.Even(length, n);
        var buffers = Enumerable.Range(0, n).Select(_ => new float[length]).ToArray();
        for (var r = 0; r < n; r++)
        {
            for (var i = segments.Start(r); i < segments.Start(r) + segments.Length(r); i++)
            {
                buffers[r][i] = (r * 1000) + i;
            }
        }

        await RunRanks(n, 5, (ring, r) => ring.AllGatherAsync(buffers[r], segments, CollectiveTag.None, CancellationToken.None));

        var expected = Enumerable.Range(0, length).Select(i => (float)((Owner(segments, i) * 1000) + i)).ToArray();
        foreach (var buffer in buffers)
        {
            Assert.Equal(expected, buffer);
        }
    }

    [Fact]
    public async Task TenMillionFloatsAllReduceOnFourRanks()
    {
        const int n = 4;
        const int length = 10_000_000;
        var buffers = Enumerable.Range(0, n).Select(r => Enumerable.Repeat((float)(r + 1), length).ToArray()).ToArray();

        await RunRanks(n, RingCollectives.DefaultChunkFloats, (ring, r) => ring.AllReduceAsync(buffers[r], CollectiveTag.None, CancellationToken.None), exchangeMaxFloats: 0);

        foreach (var buffer in buffers)
        {
            Assert.All(new[] { buffer[0], buffer[length / 2], buffer[^1] }, v => Assert.Equal(10f, v));
            Assert.Equal(10.0 * length, buffer.Sum(v => (double)v));
        }
    }

    [Fact]
    public async Task AllReduceSendsTwoTimesNMinusOneOverNOfTheBuffer()
    {
        const int n = 4;
        const int length = 4000;
        var transports = InProcessRing.Create(n);
        var rings = transports.Select(t => new RingCollectives(t, 100) { ExchangeMaxFloats = 0 }).ToArray();
        await Task.WhenAll(rings.Select((ring, r) => Task.Run(() => ring.AllReduceAsync(new float[length], CollectiveTag.None, CancellationToken.None))));

        Assert.All(rings, ring => Assert.Equal(2L * (n - 1) * (length / n) * sizeof(float), ring.BytesSent));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public async Task ADoubleSumIsTheRankOrderSumOnEveryRankAndKeepsTheDoublesRange(int n)
    {
        // Shares no float can hold (above 3.4e38) or hold exactly (0.1): every rank must get the rank-order double sum.
        double Share(int rank, int round) => (rank % 2 == 0 ? 1e300 / n : 0.1 * (rank + 1)) * (round + 1);
        double RankOrderSum(int round) => Enumerable.Range(0, n).Aggregate(0.0, (sum, r) => sum + Share(r, round));
        Assert.True(double.IsFinite(RankOrderSum(1)) && RankOrderSum(0) > float.MaxValue);
        var transports = InProcessRing.Create(n);
        var rings = transports.Select(t => new RingCollectives(t)).ToArray();

        // Twice on the same rings: the second sum must not see the first one's shares.
        for (var round = 0; round < 2; round++)
        {
            var results = await Task.WhenAll(rings.Select((ring, r) => Task.Run(() => ring.AllReduceSumAsync(Share(r, round), CollectiveTag.None, CancellationToken.None).AsTask())));

            Assert.All(results, v => Assert.Equal(BitConverter.DoubleToInt64Bits(RankOrderSum(round)), BitConverter.DoubleToInt64Bits(v)));
        }
    }

    internal static float[][] RandomInputs(int n, int length, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, length).Select(_ => (float)rng.NextNormal()).ToArray()).ToArray();
    }

    /// <param name="exchangeMaxFloats">all-reduces up to this length take the exchange (0: every one takes the ring).</param>
    internal static async Task RunRanks(int n, int chunk, Func<RingCollectives, int, Task> body, int exchangeMaxFloats = RingCollectives.DefaultExchangeMaxFloats)
    {
        var transports = InProcessRing.Create(n);
        var rings = transports.Select(t => new RingCollectives(t, chunk, TimeSpan.FromSeconds(20)) { ExchangeMaxFloats = exchangeMaxFloats }).ToArray();
        await Task.WhenAll(rings.Select((ring, r) => Task.Run(() => body(ring, r))));
    }

    private static int Owner(Segments segments, int index)
    {
        for (var r = 0; r < segments.Count; r++)
        {
            if (index >= segments.Start(r) && index < segments.Start(r) + segments.Length(r))
            {
                return r;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(index));
    }
}
