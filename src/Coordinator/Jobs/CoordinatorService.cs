using Distributed.Protocol;
using Distributed.Worker.Security;
using Google.Protobuf;
using Grpc.Core;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// The gRPC face of the <see cref="JobCoordinator"/>, and its door: a session whose headers do not prove the job's
/// secret over a fresh nonce (<see cref="SessionProof"/>), or that comes without the job's certificate when the job
/// uses TLS, is refused before a message of it is read.
/// </summary>
internal sealed class CoordinatorService(JobCoordinator job, SessionNonces nonces, Admission admission) : Protocol.Coordinator.CoordinatorBase
{
    public override Task<ChallengeReply> Challenge(ChallengeRequest request, ServerCallContext context)
    {
        admission.RequireJobCertificate(context);
        return Task.FromResult(new ChallengeReply { Nonce = ByteString.CopyFrom(nonces.Issue()) });
    }

    public override Task Session(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        admission.RequireJobCertificate(context);
        if (!SessionProof.TryRead(context.RequestHeaders, out var rank, out var nonce, out var proof))
        {
            throw admission.Refusals.Refuse(context, "no session proof");
        }

        if (!nonces.IsFresh(nonce) || !SessionProof.Verifies(admission.Secret, admission.JobId, rank, nonce, proof))
        {
            throw admission.Refusals.Refuse(context, "a session proof that does not verify");
        }

        if (!nonces.Consume(nonce))
        {
            throw admission.Refusals.Refuse(context, "a replayed session proof");
        }

        return job.RunSessionAsync(requestStream, responseStream, context, provenRank: rank);
    }
}
