namespace Distributed.Coordinator.Jobs;

/// <summary>How the coordinator tells a stopped worker from a busy one: by its heartbeat, not by its progress.</summary>
internal static class Liveness
{
    /// <summary>
    /// Workers heartbeat every second from a task of their own, whatever they compute or wait for, so a live rank is
    /// never silent for two; a frozen or cut-off one is.
    /// </summary>
    public static readonly TimeSpan StoppedAfter = TimeSpan.FromSeconds(2);
}
