using System.Collections.Concurrent;
using Distributed.Core.Collectives;

namespace Distributed.Worker.Internal;

/// <summary>
/// One ring chunk as it arrives from the left neighbour, decoded straight from gRPC's buffers into a buffer this
/// object keeps. Chunks are pooled: the receiving rank hands each back once it has added or copied the floats,
/// so a steady ring allocates nothing per chunk.
/// </summary>
internal sealed class ReceivedChunk
{
    /// <summary>Enough for a few collectives' chunks in flight; beyond it a returned chunk is left to the GC.</summary>
    private const int PoolLimit = 64;

    private static readonly ConcurrentQueue<ReceivedChunk> Pool = new();
    private byte[] _buffer = [];

    public ChunkHeader Header { get; set; }

    /// <summary>Payload bytes in use at the start of the buffer.</summary>
    public int Length { get; set; }

    public ReadOnlyMemory<byte> Payload => _buffer.AsMemory(0, Length);

    public static ReceivedChunk Rent() => Pool.TryDequeue(out var chunk) ? chunk : new ReceivedChunk();

    public void Return()
    {
        if (Pool.Count < PoolLimit)
        {
            Pool.Enqueue(this);
        }
    }

    /// <summary>A writable span of <paramref name="bytes"/> at the buffer's start, growing the buffer if needed.</summary>
    public Span<byte> Reserve(int bytes)
    {
        if (_buffer.Length < bytes)
        {
            _buffer = GC.AllocateUninitializedArray<byte>(bytes);
        }

        return _buffer.AsSpan(0, bytes);
    }
}
