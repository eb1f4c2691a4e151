using System.Buffers;
using Distributed.Core.Collectives;

namespace Distributed.Worker.Internal;

/// <summary>
/// The protobuf wire format of <c>RingChunk</c> (protos/distributed.proto), written and read by hand so that a chunk's
/// floats go straight between pooled buffers and gRPC's own buffers. The generated parser would allocate a message
/// and a fresh byte array per chunk: 256 KB arrays on the large-object heap, thousands per second. Peers built from
/// the .proto interoperate; zero-valued fields are omitted on write and unknown fields skipped on read, as protobuf does.
/// </summary>
internal static class RingChunkWire
{
    private const int VarintType = 0;
    private const int Fixed64Type = 1;
    private const int LengthType = 2;
    private const int Fixed32Type = 5;
    private const int DataField = 8;
    private const int MaxHeaderBytes = 7 * 11 + 1 + 5;

    /// <summary>Writes the header fields, then field 8 with <paramref name="payload"/>, into <paramref name="writer"/>.</summary>
    public static void Write(in ChunkHeader header, ReadOnlySpan<byte> payload, IBufferWriter<byte> writer)
    {
        Span<byte> head = stackalloc byte[MaxHeaderBytes];
        var n = EncodeHeader(header, payload.Length, head);
        writer.Write(head[..n]);
        writer.Write(payload);
    }

    /// <summary>The encoded size of a chunk, for gRPC's length prefix.</summary>
    public static int Size(in ChunkHeader header, int payloadBytes)
    {
        Span<byte> head = stackalloc byte[MaxHeaderBytes];
        return EncodeHeader(header, payloadBytes, head) + payloadBytes;
    }

    /// <summary>
    /// Reads one encoded chunk into <paramref name="into"/>, whose buffer grows to fit the payload.
    /// Throws <see cref="InvalidDataException"/> on anything that is not a well-formed chunk.
    /// </summary>
    public static void Read(ReadOnlySequence<byte> message, ReceivedChunk into)
    {
        var reader = new SequenceReader<byte>(message);
        long sequence = 0, step = 0;
        int bucket = 0, phase = 0, ringStep = 0, chunk = 0, length = 0;
        var payloadBytes = 0;
        while (!reader.End)
        {
            var tag = ReadVarint(ref reader);
            var field = tag >> 3;
            switch ((int)(tag & 7))
            {
                case VarintType:
                    var value = ReadVarint(ref reader);
                    switch (field)
                    {
                        case 1: sequence = (long)value; break;
                        case 2: step = (long)value; break;
                        case 3: bucket = (int)value; break;
                        case 4: phase = (int)value; break;
                        case 5: ringStep = (int)value; break;
                        case 6: chunk = (int)value; break;
                        case 7: length = (int)value; break;
                        default: break;
                    }

                    break;
                case LengthType:
                    var bytes = ReadVarint(ref reader);
                    if (bytes > (ulong)reader.Remaining)
                    {
                        throw new InvalidDataException($"a ring chunk's field {field} claims {bytes} bytes, but only {reader.Remaining} follow");
                    }

                    if (field == DataField)
                    {
                        payloadBytes = (int)bytes;
                        reader.TryCopyTo(into.Reserve(payloadBytes));
                    }

                    reader.Advance((long)bytes);
                    break;
                case Fixed64Type:
                    Skip(ref reader, 8);
                    break;
                case Fixed32Type:
                    Skip(ref reader, 4);
                    break;
                default:
                    throw new InvalidDataException($"a ring chunk holds field {field} of unknown wire type {tag & 7}");
            }
        }

        into.Header = new ChunkHeader(sequence, step, bucket, (CollectivePhase)phase, ringStep, chunk, length);
        into.Length = payloadBytes;
    }

    /// <summary>Everything before the payload: the seven header fields, then field 8's tag and length.</summary>
    private static int EncodeHeader(in ChunkHeader header, int payloadBytes, Span<byte> head)
    {
        var n = 0;
        n += Field(head[n..], 1, (ulong)header.Sequence);
        n += Field(head[n..], 2, (ulong)header.Step);
        n += Field(head[n..], 3, (ulong)(long)header.Bucket);
        n += Field(head[n..], 4, (ulong)(long)(int)header.Phase);
        n += Field(head[n..], 5, (ulong)(long)header.RingStep);
        n += Field(head[n..], 6, (ulong)(long)header.Chunk);
        n += Field(head[n..], 7, (ulong)(long)header.Length);
        if (payloadBytes > 0)
        {
            n += Varint(head[n..], (DataField << 3) | LengthType);
            n += Varint(head[n..], (ulong)payloadBytes);
        }

        return n;
    }

    private static int Field(Span<byte> into, int field, ulong value) =>
        value == 0 ? 0 : Varint(into, (ulong)(field << 3) | VarintType) + Varint(into[1..], value);

    private static int Varint(Span<byte> into, ulong value)
    {
        var n = 0;
        while (value >= 0x80)
        {
            into[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        into[n++] = (byte)value;
        return n;
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw new InvalidDataException("a ring chunk ends inside a number");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("a ring chunk holds a number longer than 10 bytes");
    }

    private static void Skip(ref SequenceReader<byte> reader, int bytes)
    {
        if (reader.Remaining < bytes)
        {
            throw new InvalidDataException("a ring chunk ends inside a field");
        }

        reader.Advance(bytes);
    }
}
