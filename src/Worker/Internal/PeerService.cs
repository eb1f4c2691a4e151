using Distributed.Core.Collectives;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>
/// The worker's Peer service: moves its left neighbour's ring chunks into the <see cref="PeerInbox"/>. Bound by hand
/// to <see cref="RingMethod.Receive"/> rather than through the generated base class, so that chunks are decoded
/// into pooled buffers. Not sealed, and <see cref="Ring"/> is virtual: grpc-dotnet binds only a virtual handler
/// declared on the binding type.
/// </summary>
[BindServiceMethod(typeof(PeerService), nameof(BindService))]
internal class PeerService(PeerInbox inbox)
{
    /// <summary>
    /// Called by grpc-dotnet without an instance: it only learns the methods here, then resolves the handler by
    /// name (<see cref="Ring"/>, which must be virtual and declared on this type) on an instance it creates per call.
    /// </summary>
    public static void BindService(ServiceBinderBase binder, PeerService? service) =>
        binder.AddMethod(RingMethod.Receive, service is null ? null : service.Ring);

    public virtual async Task<RingClosed> Ring(IAsyncStreamReader<ReceivedChunk> requestStream, ServerCallContext context)
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
                inbox.Deliver(requestStream.Current);
            }

            inbox.Close(new RingLinkException($"rank {from} closed its ring stream"));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or RpcException or InvalidOperationException or InvalidDataException)
        {
            inbox.Close(new RingLinkException($"the ring stream from rank {from} broke: {ex.Message}", ex));
        }

        return new RingClosed();
    }
}
