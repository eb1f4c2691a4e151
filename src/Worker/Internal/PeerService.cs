using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Security;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>
/// The worker's Peer service: moves its left neighbour's ring chunks into the <see cref="PeerInbox"/>, once the
/// caller has proven it is that neighbour. Bound by hand to <see cref="RingMethod.Receive"/> rather than through
/// the generated base class, so that chunks are decoded into pooled buffers. Not sealed, and <see cref="Ring"/> is
/// virtual: grpc-dotnet binds only a virtual handler declared on the binding type.
/// </summary>
[BindServiceMethod(typeof(PeerService), nameof(BindService))]
internal class PeerService(PeerInbox inbox, Admission admission)
{
    /// <summary>
    /// Called by grpc-dotnet without an instance: it only learns the methods here, then resolves the handler by
    /// name (<see cref="Ring"/>, which must be virtual and declared on this type) on an instance it creates per call.
    /// </summary>
    public static void BindService(ServiceBinderBase binder, PeerService? service) =>
        binder.AddMethod(RingMethod.Receive, service is null ? null : service.Ring);

    public virtual async Task<RingClosed> Ring(IAsyncStreamReader<ReceivedChunk> requestStream, ServerCallContext context)
    {
        // Nothing of a stream is read before its caller has proven which rank of this job it is, and this worker's
        // welcome has said that rank is its left neighbour: an outsider, another rank or another job's process is
        // refused, even when it came first, and the real neighbour still gets in.
        admission.RequireJobCertificate(context);
        if (RingCredential.Verify(context.RequestHeaders, admission.Secret, admission.JobId) is not { } from)
        {
            throw admission.Refusals.Refuse(context, "no valid ring credential");
        }

        int left;
        try
        {
            left = await inbox.LeftNeighbour.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (TaskCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "this worker's ring is closed"));
        }

        if (from != left)
        {
            throw admission.Refusals.Refuse(context, $"rank {from} is not its left neighbour", StatusCode.PermissionDenied);
        }

        if (!inbox.TryAttach())
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "this worker already has a left neighbour"));
        }

        try
        {
            while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
            {
                if (!await inbox.DeliverAsync(requestStream.Current, context.CancellationToken).ConfigureAwait(false))
                {
                    return new RingClosed();
                }
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
