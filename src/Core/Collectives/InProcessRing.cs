using System.Runtime.InteropServices;
using System.Threading.Channels;

namespace Distributed.Core.Collectives;

/// <summary>
/// N ranks in one process, linked by channels: the fast harness for testing the ring algorithms with any N, and
/// the same contract as the gRPC transport (sends copy and never block; receives are in order per link).
/// </summary>
public sealed class InProcessRing : IRingTransport
{
    private readonly Channel<InboundChunk> _inbox = Channel.CreateUnbounded<InboundChunk>(new UnboundedChannelOptions { SingleReader = true });
    private InProcessRing? _right;

    private InProcessRing(int rank, int worldSize)
    {
        Rank = rank;
        WorldSize = worldSize;
    }

    public int Rank { get; }

    public int WorldSize { get; }

    /// <summary>Creates the <paramref name="worldSize"/> linked transports, indexed by rank.</summary>
    public static InProcessRing[] Create(int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        var ranks = Enumerable.Range(0, worldSize).Select(r => new InProcessRing(r, worldSize)).ToArray();
        for (var r = 0; r < worldSize; r++)
        {
            ranks[r]._right = ranks[(r + 1) % worldSize];
        }

        return ranks;
    }

    public void Send(in ChunkHeader header, ReadOnlySpan<float> data)
    {
        var payload = MemoryMarshal.AsBytes(data).ToArray();
        if (!_right!._inbox.Writer.TryWrite(new InboundChunk(header, payload)))
        {
            throw new RingLinkException($"rank {Rank}: the link to rank {_right.Rank} is closed");
        }
    }

    /// <summary>Delivers a raw chunk to this rank as if its left neighbour had sent it (for tests of malformed input).</summary>
    public void Inject(InboundChunk chunk) => _inbox.Writer.TryWrite(chunk);

    public async ValueTask<InboundChunk> ReceiveAsync(CancellationToken cancel)
    {
        try
        {
            return await _inbox.Reader.ReadAsync(cancel).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            throw new RingLinkException($"rank {Rank}: the link from its left neighbour closed", ex);
        }
    }

    /// <summary>Closes this rank's inbound link, as a dead neighbour would.</summary>
    public ValueTask DisposeAsync()
    {
        _inbox.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }
}
