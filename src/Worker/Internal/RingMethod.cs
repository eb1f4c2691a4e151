using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>
/// The Peer service's Ring call (protos/distributed.proto) with the hand-written <see cref="RingChunkWire"/> codec
/// in place of the generated one: client and server both use this method, so chunks move buffer to buffer.
/// </summary>
internal static class RingMethod
{
    private static readonly Marshaller<RingClosed> Closed = Marshallers.Create<RingClosed>((_, context) => context.Complete([]), _ => new RingClosed());

    public static readonly Method<OutboundChunk, RingClosed> Send = new(
        MethodType.ClientStreaming,
        Peer.Descriptor.FullName,
        "Ring",
        Marshallers.Create<OutboundChunk>(Serialize, _ => throw new NotSupportedException("a worker never reads its own outbound chunks")),
        Closed);

    public static readonly Method<ReceivedChunk, RingClosed> Receive = new(
        MethodType.ClientStreaming,
        Peer.Descriptor.FullName,
        "Ring",
        Marshallers.Create<ReceivedChunk>((_, _) => throw new NotSupportedException("a worker never sends a received chunk"), Deserialize),
        Closed);

    private static void Serialize(OutboundChunk chunk, SerializationContext context)
    {
        context.SetPayloadLength(RingChunkWire.Size(chunk.Header, chunk.Length));
        RingChunkWire.Write(chunk.Header, chunk.Payload, context.GetBufferWriter());
        context.Complete();
    }

    private static ReceivedChunk Deserialize(DeserializationContext context)
    {
        var chunk = ReceivedChunk.Rent();
        try
        {
            RingChunkWire.Read(context.PayloadAsReadOnlySequence(), chunk);
            return chunk;
        }
        catch
        {
            chunk.Return();
            throw;
        }
    }
}
