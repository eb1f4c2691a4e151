using System.Collections.Concurrent;
using Distributed.Coordinator.Jobs;
using Distributed.Protocol;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>
/// An observer that records what it hears and claims what <paramref name="claims"/> selects. Since a session hands a
/// message to the observer before it queues it for the driver, hearing a rank's later message tells a test that the
/// rank's earlier ones are queued.
/// </summary>
internal sealed class RecordingObserver(Func<WorkerMessage, bool> claims) : IJobObserver
{
    private readonly ConcurrentQueue<(int Rank, WorkerMessage Message)> _heard = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public IReadOnlyList<(int Rank, WorkerMessage Message)> Heard => [.. _heard];

    public bool Observe(int rank, WorkerMessage message)
    {
        _heard.Enqueue((rank, message));
        _arrived.Release();
        return claims(message);
    }

    /// <summary>Waits until <paramref name="rank"/> has sent a message of <paramref name="kind"/>.</summary>
    public async Task HeardAsync(int rank, WorkerMessage.BodyOneofCase kind)
    {
        using var timeout = new CancellationTokenSource(ChannelStreamWriter<CoordinatorMessage>.ReadTimeout);
        while (!_heard.Any(h => h.Rank == rank && h.Message.BodyCase == kind))
        {
            await _arrived.WaitAsync(timeout.Token);
        }
    }
}
