using System.Buffers;
using System.Runtime.InteropServices;
using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Google.Protobuf;

namespace Distributed.Worker.Tests.Internal;

/// <summary>The hand-written codec against the generated protobuf code: the same bytes both ways, and garbage refused.</summary>
public class RingChunkWireTests
{
    public static TheoryData<long, long, int, int, int, int, int> Headers() => new()
    {
        { 0, 0, 0, 1, 0, 0, 0 },
        { 1, 2, 3, 2, 4, 5, 6 },
        { 146, 74, 0, 1, 1, 0, 65536 },
        { long.MaxValue, long.MinValue, int.MaxValue, 2, int.MinValue, -1, 3 },
        { 300, 1L << 40, -2, 1, 127, 128, 16383 },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void WritesExactlyWhatProtobufWrites(long sequence, long step, int bucket, int phase, int ringStep, int chunk, int length)
    {
        var header = new ChunkHeader(sequence, step, bucket, (CollectivePhase)phase, ringStep, chunk, length);
        var payload = Payload(length);
        var expected = Generated(header, payload).ToByteArray();

        var writer = new ArrayBufferWriter<byte>();
        RingChunkWire.Write(header, payload, writer);

        Assert.Equal(expected, writer.WrittenSpan.ToArray());
        Assert.Equal(expected.Length, RingChunkWire.Size(header, payload.Length));
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void ReadsWhatProtobufWritesEvenSplitIntoSegments(long sequence, long step, int bucket, int phase, int ringStep, int chunk, int length)
    {
        var header = new ChunkHeader(sequence, step, bucket, (CollectivePhase)phase, ringStep, chunk, length);
        var payload = Payload(length);
        var bytes = Generated(header, payload).ToByteArray();

        foreach (var segment in new[] { bytes.Length + 1, 7, 1 })
        {
            var received = new ReceivedChunk();
            RingChunkWire.Read(Segmented(bytes, segment), received);

            Assert.Equal(header, received.Header);
            Assert.Equal(payload, received.Payload.ToArray());
        }
    }

    [Fact]
    public void SkipsFieldsItDoesNotKnowOfEveryWireType()
    {
        var header = new ChunkHeader(9, 8, 1, CollectivePhase.AllGather, 1, 2, 2);
        var known = Generated(header, Payload(2)).ToByteArray();
        // Field 20 varint 300, field 21 fixed64, field 22 length-delimited "abc", field 23 fixed32.
        byte[] unknown = [0xA0, 0x01, 0xAC, 0x02, 0xA9, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0xB2, 0x01, 3, (byte)'a', (byte)'b', (byte)'c', 0xBD, 0x01, 1, 2, 3, 4];
        var received = new ReceivedChunk();

        RingChunkWire.Read(new ReadOnlySequence<byte>([.. unknown, .. known, .. unknown]), received);

        Assert.Equal(header, received.Header);
        Assert.Equal(Payload(2), received.Payload.ToArray());
    }

    [Fact]
    public void AReusedChunkHoldsOnlyTheLatestPayload()
    {
        var received = new ReceivedChunk();
        RingChunkWire.Read(new ReadOnlySequence<byte>(Generated(new ChunkHeader(1, 1, 0, CollectivePhase.ReduceScatter, 0, 0, 8), Payload(8)).ToByteArray()), received);
        RingChunkWire.Read(new ReadOnlySequence<byte>(Generated(new ChunkHeader(2, 1, 0, CollectivePhase.ReduceScatter, 0, 1, 3), Payload(3)).ToByteArray()), received);

        Assert.Equal(3 * sizeof(float), received.Payload.Length);
        Assert.Equal(Payload(3), received.Payload.ToArray());
    }

    public static TheoryData<byte[], string> Garbage() => new()
    {
        { [0x08], "ends inside a number" },
        { [0x08, 0x80], "ends inside a number" },
        { [0x42, 0x10, 1, 2, 3], "claims 16 bytes, but only 3 follow" },
        { [0x09, 1, 2, 3], "ends inside a field" },
        { [0x0B], "unknown wire type 3" },
        { [0x0F], "unknown wire type 7" },
        { [0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], "longer than 10 bytes" },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public void RefusesGarbageWithAReason(byte[] bytes, string reason)
    {
        var error = Assert.Throws<InvalidDataException>(() => RingChunkWire.Read(new ReadOnlySequence<byte>(bytes), new ReceivedChunk()));

        Assert.Contains(reason, error.Message);
    }

    private static RingChunk Generated(ChunkHeader h, byte[] payload) => new()
    {
        Sequence = h.Sequence,
        Step = h.Step,
        Bucket = h.Bucket,
        Phase = (int)h.Phase,
        RingStep = h.RingStep,
        Chunk = h.Chunk,
        Length = h.Length,
        Data = ByteString.CopyFrom(payload),
    };

    private static byte[] Payload(int floats)
    {
        var values = Enumerable.Range(0, Math.Min(floats, 70000)).Select(i => (i * 0.37f) - 11f).ToArray();
        return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentLength)
    {
        Segment? first = null, last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentLength)
        {
            var piece = bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset));
            last = last is null ? first = new Segment(piece, 0) : last.Append(piece);
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
