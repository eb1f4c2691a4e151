namespace Distributed.Core.Collectives;

/// <summary>
/// A rank's two links in the ring: it sends only to its right neighbour (rank + 1) and receives only from its
/// left neighbour (rank − 1). Messages on each link arrive in the order they were sent. The ring algorithms
/// live in <see cref="RingCollectives"/>; a transport only moves bytes (in process for tests, gRPC between workers).
/// </summary>
public interface IRingTransport : IAsyncDisposable
{
    int Rank { get; }

    int WorldSize { get; }

    /// <summary>
    /// Queues one chunk for the right neighbour. The transport copies <paramref name="data"/> before returning,
    /// so the caller may overwrite it at once; a send never waits for the receiver, which is what lets several
    /// chunks be in flight. Throws when the link has already failed.
    /// </summary>
    void Send(in ChunkHeader header, ReadOnlySpan<float> data);

    /// <summary>
    /// The next chunk from the left neighbour; throws <see cref="RingLinkException"/> when the link is gone. The
    /// payload belongs to the transport and stays valid only until the next call, which lets it reuse the buffer.
    /// </summary>
    ValueTask<InboundChunk> ReceiveAsync(CancellationToken cancel);

    /// <summary>
    /// Hears whether this rank's forward and backward are running, so a transport whose receives wait by spinning
    /// can leave the core to them meanwhile (shared memory does); the others have nothing to change.
    /// </summary>
    void ComputeRunning(bool running)
    {
    }
}

/// <summary>What a collective is doing; part of every chunk's header so a misrouted chunk is caught.</summary>
public enum CollectivePhase
{
    ReduceScatter = 1,
    AllGather = 2,

    /// <summary>Whole buffers passed around the ring, then summed in rank order (<see cref="RingCollectives"/>' small-message all-reduce).</summary>
    Exchange = 3,
}

public static class CollectivePhaseNames
{
    /// <summary>The span and metric name of the collective a phase belongs to.</summary>
    public static string SpanName(this CollectivePhase phase) => phase switch
    {
        CollectivePhase.ReduceScatter => Telemetry.Spans.ReduceScatter,
        CollectivePhase.AllGather => Telemetry.Spans.AllGather,
        _ => Telemetry.Spans.AllReduce,
    };
}

/// <summary>
/// Identifies one chunk of one collective. <see cref="Sequence"/> counts collectives on this rank; all ranks
/// call the same collectives in the same order, so a chunk from another collective, step or bucket is detectable.
/// </summary>
public readonly record struct ChunkHeader(long Sequence, long Step, int Bucket, CollectivePhase Phase, int RingStep, int Chunk, int Length)
{
    public override string ToString() =>
        $"step {Step}, bucket {Bucket}, {Phase} ring step {RingStep}, chunk {Chunk} ({Length} floats, collective #{Sequence})";
}

/// <summary>A received chunk: its header and its payload as little-endian float32 bytes, owned by the transport
/// and valid until the next receive.</summary>
public readonly record struct InboundChunk(ChunkHeader Header, ReadOnlyMemory<byte> Payload);

/// <summary>The link to a neighbour failed: it closed, its process died, or it sent something malformed.</summary>
public class RingLinkException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A neighbour sent a chunk that does not match what this rank expects next.</summary>
public sealed class RingProtocolException(string message) : RingLinkException(message);

/// <summary>A neighbour did not send the next chunk within the peer timeout.</summary>
public sealed class PeerTimeoutException(string message) : RingLinkException(message);
