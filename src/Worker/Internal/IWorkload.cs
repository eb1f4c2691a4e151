using Distributed.Core.Collectives;

namespace Distributed.Worker.Internal;

/// <summary>What a worker does once it has a rank and a ring: train, or benchmark the collectives.</summary>
internal interface IWorkload
{
    /// <summary>Reported to the coordinator on joining; built before joining so bad input fails before the job starts.</summary>
    Protocol.Ready Describe(int worldSize, int rank);

    Task RunAsync(WorkerContext context, CancellationToken cancel);
}

/// <param name="ResumeFrom">The verified checkpoint directory to load before reporting ready, or null.</param>
internal sealed record WorkerContext(int Rank, int WorldSize, RingCollectives Ring, CoordinatorSession Session, TextWriter Log, WorkerTelemetry Telemetry, string? ResumeFrom = null);
