using System.Buffers;

namespace Distributed.Core.Collectives.SharedMemory;

/// <summary>A mapped region as <see cref="Memory{T}"/>, so a received chunk's payload is handed out where it lies, without a copy or an allocation.</summary>
internal sealed unsafe class MappedRegion(byte* start, int length) : MemoryManager<byte>
{
    public override Span<byte> GetSpan() => new(start, length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
