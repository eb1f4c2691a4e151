using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>
/// The Peer service's Pull call (protos/distributed.proto) with the hand-written <see cref="RingChunkWire"/> codec
/// in place of the generated one: the sender's server and the puller's client both use it, so chunks move buffer to buffer.
/// </summary>
internal static class RingMethod
{
    private static readonly Marshaller<PullRequest> Request = Marshallers.Create<PullRequest>((_, context) => context.Complete([]), _ => new PullRequest());

    /// <summary>The sender's side: answers a pull with its outbound chunks.</summary>
    public static readonly Method<PullRequest, OutboundChunk> Serve = new(
        MethodType.ServerStreaming,
        Peer.Descriptor.FullName,
        "Pull",
        Request,
        Marshallers.Create<OutboundChunk>(Serialize, _ => throw new NotSupportedException("a worker never reads its own outbound chunks")));

    /// <summary>The receiver's side: pulls its left neighbour's chunks into pooled buffers.</summary>
    public static readonly Method<PullRequest, ReceivedChunk> Pull = new(
        MethodType.ServerStreaming,
        Peer.Descriptor.FullName,
        "Pull",
        Request,
        Marshallers.Create<ReceivedChunk>((_, _) => throw new NotSupportedException("a worker never sends a received chunk"), Deserialize));

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
