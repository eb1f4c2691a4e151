using Distributed.Protocol;
using Distributed.Worker.Security;
using Google.Protobuf;
using Grpc.Core;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// The gRPC face of the <see cref="JobCoordinator"/>, and its door: a session whose headers do not prove the job's
/// secret over a fresh nonce (<see cref="SessionProof"/>) is refused before a message of it is read.
/// </summary>
internal sealed class CoordinatorService(JobCoordinator job, SessionNonces nonces, Refusals refusals) : Protocol.Coordinator.CoordinatorBase
{
    public override Task<ChallengeReply> Challenge(ChallengeRequest request, ServerCallContext context) =>
        Task.FromResult(new ChallengeReply { Nonce = ByteString.CopyFrom(nonces.Issue()) });

    public override Task Session(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context)
    {
        if (!SessionProof.TryRead(context.RequestHeaders, out var rank, out var nonce, out var proof))
        {
            throw refusals.Refuse(context, "no session proof");
        }

        if (!nonces.IsFresh(nonce) || !SessionProof.Verifies(job.Plan.Secret, job.Plan.JobId, rank, nonce, proof))
        {
            throw refusals.Refuse(context, "a session proof that does not verify");
        }

        if (!nonces.Consume(nonce))
        {
            throw refusals.Refuse(context, "a replayed session proof");
        }

        return job.RunSessionAsync(requestStream, responseStream, context, provenRank: rank);
    }
}
