using System.Runtime.InteropServices;
using Distributed.Core.Collectives;

namespace Distributed.Core.Tests.Collectives;

/// <summary>A neighbour that sends the wrong thing, or nothing, fails the collective with a named error and never corrupts memory.</summary>
public class RingRejectionTests
{
    private static readonly ChunkHeader First = new(0, 5, 1, CollectivePhase.ReduceScatter, 0, 0, 4);

    public static TheoryData<string, ChunkHeader, int> Malformed() => new()
    {
        { "wrong length in header", First with { Length = 1_000_000 }, 4 },
        { "payload longer than its header", First, 1_000_000 },
        { "payload shorter than its header", First, 3 },
        { "wrong step", First with { Step = 6 }, 4 },
        { "wrong bucket", First with { Bucket = 0 }, 4 },
        { "wrong phase", First with { Phase = CollectivePhase.AllGather }, 4 },
        { "wrong chunk", First with { Chunk = 9 }, 4 },
        { "wrong collective", First with { Sequence = 3 }, 4 },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedChunkIsRejected(string what, ChunkHeader header, int floats)
    {
        // Rank 1 of 2 reduce-scatters 8 floats: it expects chunk 0 of segment 0, 4 floats, from rank 0.
        var transports = InProcessRing.Create(2);
        var ring = new RingCollectives(transports[1], chunkFloats: 4, TimeSpan.FromSeconds(10));
        transports[1].Inject(new InboundChunk(header, MemoryMarshal.AsBytes(new float[floats].AsSpan()).ToArray()));
        var buffer = Enumerable.Range(0, 8).Select(i => (float)i).ToArray();

        var error = await Assert.ThrowsAsync<RingProtocolException>(() => ring.ReduceScatterAsync(buffer, Segments.Even(8, 2), new CollectiveTag(5, 1), CancellationToken.None));

        Assert.Contains("rank 1", error.Message);
        Assert.Contains("from rank 0", error.Message);
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (float)i), buffer);
        Assert.NotNull(what);
    }

    [Fact]
    public async Task SilentNeighbourTimesOutNamingItAndTheChunk()
    {
        var transports = InProcessRing.Create(3);
        var ring = new RingCollectives(transports[2], 16, TimeSpan.FromMilliseconds(200));

        var error = await Assert.ThrowsAsync<PeerTimeoutException>(() => ring.AllReduceAsync(new float[30], new CollectiveTag(12, 0), CancellationToken.None));

        Assert.Contains("rank 2 waited", error.Message);
        Assert.Contains("rank 1", error.Message);
        Assert.Contains("step 12", error.Message);
    }

    [Fact]
    public async Task ClosedLinkFailsTheCollective()
    {
        var transports = InProcessRing.Create(2);
        var ring = new RingCollectives(transports[0], 16, TimeSpan.FromSeconds(10));
        await transports[0].DisposeAsync();

        await Assert.ThrowsAsync<RingLinkException>(() => ring.AllReduceAsync(new float[30], CollectiveTag.None, CancellationToken.None));
    }

    [Fact]
    public async Task CancellationIsNotReportedAsATimeout()
    {
        var transports = InProcessRing.Create(2);
        var ring = new RingCollectives(transports[0], 16, TimeSpan.FromSeconds(10));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ring.AllReduceAsync(new float[30], CollectiveTag.None, cancel.Token));
    }
}
