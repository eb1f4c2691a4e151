using System.Diagnostics;
using System.Threading.Channels;
using Distributed.Protocol;

namespace Distributed.Coordinator.Jobs;

/// <summary>The coordinator's view of one joined worker: its rank, address, what it last said and when, and its outbound queue.</summary>
internal sealed class WorkerSession(JoinRequest join, int order)
{
    private long _lastSeen = Stopwatch.GetTimestamp();

    public JoinRequest Join { get; } = join;

    /// <summary>Position in join order, used to hand out ranks nobody asked for.</summary>
    public int Order { get; } = order;

    public int Rank { get; set; } = -1;

    public bool Finished { get; set; }

    public Channel<CoordinatorMessage> Outbox { get; } = Channel.CreateUnbounded<CoordinatorMessage>(new UnboundedChannelOptions { SingleReader = true });

    public TimeSpan SilentFor => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastSeen));

    public void Heard() => Interlocked.Exchange(ref _lastSeen, Stopwatch.GetTimestamp());

    public void Send(CoordinatorMessage message) => Outbox.Writer.TryWrite(message);
}

/// <summary>Something a session reported to the driver: a message from a rank, or the loss of its session.</summary>
internal readonly record struct SessionEvent(int Rank, WorkerMessage? Message, string? Lost);
