using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Jobs;

/// <summary>The gRPC face of the <see cref="JobCoordinator"/>.</summary>
internal sealed class CoordinatorService(JobCoordinator job) : Protocol.Coordinator.CoordinatorBase
{
    public override Task Session(IAsyncStreamReader<WorkerMessage> requestStream, IServerStreamWriter<CoordinatorMessage> responseStream, ServerCallContext context) =>
        job.RunSessionAsync(requestStream, responseStream, context);
}
