using Distributed.Core.Collectives;

namespace Distributed.Worker.Internal;

/// <summary>
/// One ring chunk waiting to be written to the right neighbour: its header and a copy of its floats, so the
/// sender may overwrite its buffer at once. The transport reuses these after gRPC has serialized them.
/// </summary>
internal sealed class OutboundChunk
{
    private byte[] _buffer = [];

    public ChunkHeader Header { get; private set; }

    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(0, Length);

    public int Length { get; private set; }

    public void Fill(in ChunkHeader header, ReadOnlySpan<byte> payload)
    {
        if (_buffer.Length < payload.Length)
        {
            _buffer = GC.AllocateUninitializedArray<byte>(payload.Length);
        }

        payload.CopyTo(_buffer);
        Header = header;
        Length = payload.Length;
    }
}
