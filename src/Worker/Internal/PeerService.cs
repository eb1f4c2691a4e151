using Distributed.Protocol;
using Distributed.Worker.Security;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>
/// The worker's Peer service: answers its right neighbour's pull with the chunks of its <see cref="PeerOutbox"/>,
/// once the caller has proven it is that neighbour, and proves this worker's own rank in the answer's headers. Bound
/// by hand to <see cref="RingMethod.Serve"/> rather than through the generated base class, so that chunks are
/// encoded from pooled buffers. Not sealed, and <see cref="Pull"/> is virtual: grpc-dotnet binds only a virtual
/// handler declared on the binding type.
/// </summary>
[BindServiceMethod(typeof(PeerService), nameof(BindService))]
internal class PeerService(PeerOutbox outbox, Admission admission)
{
    /// <summary>
    /// Called by grpc-dotnet without an instance: it only learns the methods here, then resolves the handler by
    /// name (<see cref="Pull"/>, which must be virtual and declared on this type) on an instance it creates per call.
    /// </summary>
    public static void BindService(ServiceBinderBase binder, PeerService? service) =>
        binder.AddMethod(RingMethod.Serve, service is null ? null : service.Pull);

    public virtual async Task Pull(PullRequest request, IServerStreamWriter<OutboundChunk> responseStream, ServerCallContext context)
    {
        // Nothing is sent before the caller has proven which rank of this job it is, and this worker's welcome has
        // said that rank is its right neighbour: an outsider, another rank or another job's process is refused, even
        // when it came first, and the real neighbour still gets in.
        admission.RequireJobCertificate(context);
        if (RingCredential.Verify(context.RequestHeaders, admission.Secret, admission.JobId) is not { } from)
        {
            throw admission.Refusals.Refuse(context, "no valid ring credential");
        }

        (int Self, int Right) ranks;
        try
        {
            ranks = await outbox.Ranks.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (TaskCanceledException) when (!context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "this worker's ring is closed"));
        }

        if (from != ranks.Right)
        {
            throw admission.Refusals.Refuse(context, $"rank {from} is not its right neighbour", StatusCode.PermissionDenied);
        }

        if (!outbox.TryAttach())
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "this worker already has a right neighbour"));
        }

        try
        {
            // The puller reads no chunk before these headers have proven that this worker is its left neighbour.
            await context.WriteResponseHeadersAsync(RingCredential.Headers(admission.Secret, admission.JobId, ranks.Self)).ConfigureAwait(false);
            outbox.Connect(responseStream);
            await outbox.Closed.WaitAsync(context.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            outbox.Fail(new IOException($"rank {from} stopped pulling: {ex.Message}", ex));
        }
    }
}
