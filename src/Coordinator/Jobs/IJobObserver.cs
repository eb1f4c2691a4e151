using Distributed.Protocol;

namespace Distributed.Coordinator.Jobs;

/// <summary>Sees every message a worker sends, heartbeats included, as it arrives and before the driver does (telemetry: spans, waits, step reports, liveness).</summary>
internal interface IJobObserver
{
    /// <summary>True when the message was only for the observer and the driver must not see it.</summary>
    bool Observe(int rank, WorkerMessage message);
}
