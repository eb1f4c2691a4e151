using Distributed.Core.Collectives;
using Distributed.Core.Collectives.SharedMemory;

namespace Distributed.Core.Tests.Collectives.SharedMemory;

/// <summary>
/// The shared-memory ring in one process: every rank maps its neighbours' segments for real (files in /dev/shm), so
/// the records, wrap-around, overflow queue and futex waits are the ones two processes use.
/// </summary>
public class ShmRingTransportTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        foreach (var n in new[] { 2, 3, 4, 5 })
        {
            // Distinct: for 2 ranks, N − 1 is 1 again, and a repeated row only makes xunit skip it as a duplicate.
            foreach (var length in new[] { 1, n - 1, 7, 101, 1009 }.Distinct())
            {
                data.Add(n, Math.Max(1, length), 3);
            }

            // Far more than a segment holds: the overflow queue and wrap-around carry it.
            data.Add(n, 3_000_011, 64 * 1024);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task AllReduceOverSharedMemoryGivesTheInProcessRingsBits(int n, int length, int chunk)
    {
        var inputs = RingCollectivesTests.RandomInputs(n, length, seed: 11);
        var expected = inputs.Select(a => (float[])a.Clone()).ToArray();
        await RingCollectivesTests.RunRanks(n, chunk, (ring, r) => ring.AllReduceAsync(expected[r], new CollectiveTag(1, 0), CancellationToken.None));

        var buffers = inputs.Select(a => (float[])a.Clone()).ToArray();
        await using var links = await ConnectAsync(n, chunk);
        Assert.All(links.Transports, t => Assert.True(t.SendsShared && t.ReceivesShared));
        await links.RunAsync(chunk, (ring, r) => ring.AllReduceAsync(buffers[r], new CollectiveTag(1, 0), CancellationToken.None));

        for (var r = 0; r < n; r++)
        {
            Assert.True(expected[r].AsSpan().SequenceEqual(buffers[r]), $"rank {r} differs from the in-process ring");
        }
    }

    [Fact]
    public async Task ManyCollectivesInARowReuseTheSegmentsExactly()
    {
        const int n = 3;
        await using var links = await ConnectAsync(n, 1000);
        for (var step = 0; step < 50; step++)
        {
            var buffers = Enumerable.Range(0, n).Select(r => Enumerable.Range(0, 20_011).Select(i => (float)((i % 7) + r + step)).ToArray()).ToArray();
            await links.RunAsync(1000, (ring, r) => ring.AllReduceAsync(buffers[r], new CollectiveTag(step, 0), CancellationToken.None));
            for (var r = 0; r < n; r++)
            {
                Assert.Equal((3 * (20_010 % 7)) + 3 + (3 * step), buffers[r][20_010]);
            }
        }
    }

    [Fact]
    public async Task ARankThatMayNotAttachSaysHelloAndItsLinkGoesThroughTheFallback()
    {
        const int n = 3;
        await using var links = await ConnectAsync(n, 16, attach: r => r != 1);

        Assert.False(links.Transports[1].SendsShared);
        Assert.False(links.Transports[2].ReceivesShared);
        Assert.True(links.Transports[0].SendsShared && links.Transports[1].ReceivesShared);
        var buffers = RingCollectivesTests.RandomInputs(n, 999, seed: 5);
        var expected = buffers.Select(a => (float[])a.Clone()).ToArray();
        await RingCollectivesTests.RunRanks(n, 16, (ring, r) => ring.AllReduceAsync(expected[r], new CollectiveTag(0, 0), CancellationToken.None));
        await links.RunAsync(16, (ring, r) => ring.AllReduceAsync(buffers[r], new CollectiveTag(0, 0), CancellationToken.None));
        Assert.True(expected[2].AsSpan().SequenceEqual(buffers[2]));
    }

    [Fact]
    public async Task RequiringSharedMemoryWhereALinkCannotShareIsAOneLineError()
    {
        var fallback = InProcessRing.Create(2);
        var missing = new ShmAddress(Path.Combine(Path.GetTempPath(), "distributed-ring-absent"), new byte[16]);

        var error = await Assert.ThrowsAsync<RingLinkException>(() => SharedMemoryRing.ConnectAsync(0, 2, fallback[0], null, missing, attach: true, required: true, TimeSpan.FromSeconds(5), SharedMemoryRing.DefaultSpin, _ => { }, CancellationToken.None));

        Assert.StartsWith("rank 0: --transport shm, but rank 1's segment cannot be shared", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task ASegmentWithAnotherNonceIsRefused()
    {
        using var offer = ShmOffer.Create(16);
        var fallback = InProcessRing.Create(2);
        var forged = new ShmAddress(offer.Path, new byte[16]);
        var lines = new List<string>();

        await using var transport = await SharedMemoryRing.ConnectAsync(0, 2, fallback[0], null, forged, attach: true, required: false, TimeSpan.FromSeconds(5), SharedMemoryRing.DefaultSpin, lines.Add, CancellationToken.None);

        Assert.False(transport.SendsShared);
        Assert.Contains(lines, l => l.Contains("is not the segment the neighbour offered", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoSegmentNameOutlivesTheConnectionAndAnOwnerOnlyFileIsOffered()
    {
        const int n = 2;
        var links = await ConnectAsync(n, 16);
        Assert.All(links.Paths, p => Assert.False(File.Exists(p), $"{p} still exists after both ends attached"));
        await links.DisposeAsync();

        using var offer = ShmOffer.Create(16);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(offer.Path));
        }

        var path = offer.Path;
        offer.Dispose();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task AClosedNeighbourEndsTheReceiveWithALinkError()
    {
        var links = await ConnectAsync(2, 16);
        await links.Transports[0].DisposeAsync();

        var ring = new RingCollectives(links.Transports[1], 16, TimeSpan.FromSeconds(10));
        await Assert.ThrowsAnyAsync<RingLinkException>(() => ring.AllReduceAsync(new float[100], new CollectiveTag(0, 0), CancellationToken.None));
        await links.Transports[1].DisposeAsync();
    }

    private static async Task<Links> ConnectAsync(int n, int chunk, Func<int, bool>? attach = null)
    {
        var (transports, offers) = await ShmLinks.ConnectAsync(n, chunk, attach);
        return new Links(transports, [.. offers.Select(o => o.Path)]);
    }

    private sealed record Links(ShmRingTransport[] Transports, string[] Paths) : IAsyncDisposable
    {
        public Task RunAsync(int chunk, Func<RingCollectives, int, Task> body)
        {
            var rings = Transports.Select(t => new RingCollectives(t, chunk, TimeSpan.FromSeconds(30))).ToArray();
            return Task.WhenAll(rings.Select((ring, r) => Task.Factory.StartNew(() => body(ring, r), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap()));
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var t in Transports)
            {
                await t.DisposeAsync();
            }
        }
    }
}
