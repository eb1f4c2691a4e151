using Distributed.Core.Collectives;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>The worker's Peer service: moves its left neighbour's ring chunks into the <see cref="PeerInbox"/>.</summary>
internal sealed class PeerService(PeerInbox inbox) : Peer.PeerBase
{
    public override async Task<RingClosed> Ring(IAsyncStreamReader<RingChunk> requestStream, ServerCallContext context)
    {
        if (!inbox.TryAttach())
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "this worker already has a left neighbour"));
        }

        var from = context.RequestHeaders.GetValue(GrpcRingTransport.RankHeader) ?? "?";
        try
        {
            while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                var m = requestStream.Current;
                inbox.Deliver(new InboundChunk(
                    new ChunkHeader(m.Sequence, m.Step, m.Bucket, (CollectivePhase)m.Phase, m.RingStep, m.Chunk, m.Length),
                    m.Data.Memory));
            }

            inbox.Close(new RingLinkException($"rank {from} closed its ring stream"));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or RpcException or InvalidOperationException)
        {
            inbox.Close(new RingLinkException($"the ring stream from rank {from} broke: {ex.Message}", ex));
        }

        return new RingClosed();
    }
}
