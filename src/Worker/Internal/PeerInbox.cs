using System.Threading.Channels;
using Distributed.Core.Collectives;

namespace Distributed.Worker.Internal;

/// <summary>
/// Where the left neighbour's chunks land. It exists from the moment the worker listens, before the worker
/// itself knows its rank, because the neighbour may connect first; it learns which rank that neighbour must be
/// from the welcome (<see cref="Expect"/>), and takes nothing from anyone before. It holds a bounded number of
/// chunks: when the worker falls behind, the stream stops being read and HTTP/2 flow control holds the sender back,
/// rather than this process's memory growing.
/// </summary>
internal sealed class PeerInbox
{
    /// <summary>The most chunk bytes waiting here (a few buckets' worth of the largest chunks).</summary>
    public const int MaxBufferedBytes = 32 * 1024 * 1024;

    private readonly Channel<ReceivedChunk> _chunks;
    private readonly TaskCompletionSource<int> _left = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connected;

    public PeerInbox(int chunkFloats)
    {
        Capacity = Math.Max(2, MaxBufferedBytes / (Math.Max(1, chunkFloats) * sizeof(float)));
        _chunks = Channel.CreateBounded<ReceivedChunk>(new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Chunks that may wait here before the neighbour's stream is no longer read.</summary>
    public int Capacity { get; }

    public ChannelReader<ReceivedChunk> Reader => _chunks.Reader;

    /// <summary>The rank whose stream this worker takes, once its welcome has said so.</summary>
    public Task<int> LeftNeighbour => _left.Task;

    public void Expect(int leftRank) => _left.TrySetResult(leftRank);

    /// <summary>Only one left neighbour may stream into a worker; a second stream is refused.</summary>
    public bool TryAttach() => Interlocked.CompareExchange(ref _connected, 1, 0) == 0;

    /// <summary>Waits while the inbox is full; false when it was closed (the chunk is returned to its pool).</summary>
    public async ValueTask<bool> DeliverAsync(ReceivedChunk chunk, CancellationToken cancel)
    {
        try
        {
            await _chunks.Writer.WriteAsync(chunk, cancel).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            chunk.Return();
            return false;
        }
        catch (OperationCanceledException)
        {
            chunk.Return();
            throw;
        }
    }

    /// <summary>The neighbour's stream ended: later receives fail with <paramref name="error"/>.</summary>
    public void Close(RingLinkException error)
    {
        _chunks.Writer.TryComplete(error);
        _left.TrySetCanceled();
    }
}
