using System.Threading.Channels;
using Distributed.Protocol;

namespace Distributed.Coordinator.Jobs;

/// <summary>The coordinator's view of one joined worker: its rank, address, whether it finished, and its outbound queue (when it was last heard is the <see cref="Liveness"/> record's).</summary>
internal sealed class WorkerSession(JoinRequest join, int order)
{
    public JoinRequest Join { get; } = join;

    /// <summary>Position in join order, used to hand out ranks nobody asked for.</summary>
    public int Order { get; } = order;

    public int Rank { get; set; } = -1;

    public bool Finished { get; set; }

    public Channel<CoordinatorMessage> Outbox { get; } = Channel.CreateUnbounded<CoordinatorMessage>(new UnboundedChannelOptions { SingleReader = true });

    public void Send(CoordinatorMessage message) => Outbox.Writer.TryWrite(message);
}

/// <summary>Something a session reported to the driver: a message from a rank, or the loss of its session.</summary>
internal readonly record struct SessionEvent(int Rank, WorkerMessage? Message, string? Lost);
