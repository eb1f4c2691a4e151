using System.Threading.Channels;
using Distributed.Core.Collectives;

namespace Distributed.Worker.Internal;

/// <summary>
/// Where the left neighbour's chunks land. It exists from the moment the worker listens, before the worker
/// itself knows its rank, because the neighbour may connect first.
/// </summary>
internal sealed class PeerInbox
{
    private readonly Channel<ReceivedChunk> _chunks = Channel.CreateUnbounded<ReceivedChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private int _connected;

    public ChannelReader<ReceivedChunk> Reader => _chunks.Reader;

    /// <summary>Only one left neighbour may stream into a worker; a second stream is refused.</summary>
    public bool TryAttach() => Interlocked.CompareExchange(ref _connected, 1, 0) == 0;

    public void Deliver(ReceivedChunk chunk) => _chunks.Writer.TryWrite(chunk);

    /// <summary>The neighbour's stream ended: later receives fail with <paramref name="error"/>.</summary>
    public void Close(RingLinkException error) => _chunks.Writer.TryComplete(error);
}
