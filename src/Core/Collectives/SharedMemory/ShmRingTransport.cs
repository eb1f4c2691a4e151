using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Distributed.Core.Collectives.SharedMemory;

/// <summary>
/// A rank's two ring links through shared memory, where its neighbours run on the same host; a link that could not
/// be shared goes through <paramref name="fallback"/> (gRPC) instead, each direction on its own. Sends keep the
/// transport contract (copy, never block): a chunk goes straight into the neighbour's segment when there is room,
/// else into a local queue that a pump thread drains in order as the neighbour reads. Receives wait on the calling
/// thread (spin for <c>spin</c>, then futex), and hand out the payload where it lies in the segment.
/// </summary>
public sealed class ShmRingTransport : IRingTransport
{
    private readonly IRingTransport _fallback;
    private readonly ShmChannel? _outbound;
    private readonly ShmChannel? _inbound;
    private readonly ShmSegment? _outboundSegment;
    private readonly ShmSegment? _inboundSegment;
    private readonly Memory<byte> _inboundData;
    private readonly ConcurrentQueue<(ChunkHeader Header, byte[] Bytes, int Length)> _overflow = new();
    private readonly SemaphoreSlim _overflowReady = new(0);
    private readonly CancellationTokenSource _stop = new();
    private Thread? _pump;
    private int _queued;
    private volatile Exception? _pumpFailure;

    internal ShmRingTransport(int rank, int worldSize, IRingTransport fallback, ShmSegment? outbound, ShmSegment? inbound, TimeSpan spin)
    {
        Rank = rank;
        WorldSize = worldSize;
        _fallback = fallback;
        _outboundSegment = outbound;
        _inboundSegment = inbound;
        // Only receives spin as told: the pump that waits for room shares the rank's core with its compute.
        _outbound = outbound is null ? null : new ShmChannel(outbound);
        _inbound = inbound is null ? null : new ShmChannel(inbound, spin);
        _inboundData = _inbound?.DataMemory() ?? Memory<byte>.Empty;
    }

    public int Rank { get; }

    public int WorldSize { get; }

    /// <summary>Whether chunks to the right neighbour go through shared memory.</summary>
    public bool SendsShared => _outbound is not null;

    /// <summary>Whether chunks from the left neighbour come through shared memory.</summary>
    public bool ReceivesShared => _inbound is not null;

    public void ComputeRunning(bool running) => _inbound?.OwnerComputing(running);

    public void Send(in ChunkHeader header, ReadOnlySpan<float> data)
    {
        if (_outbound is null)
        {
            _fallback.Send(header, data);
            return;
        }

        if (_pumpFailure is { } failure)
        {
            throw new RingLinkException($"rank {Rank}: the shared-memory link to rank {Right} failed: {failure.Message}", failure);
        }

        if (_outbound.State == ShmChannel.LinkState.Closed)
        {
            throw new RingLinkException($"rank {Rank}: rank {Right} closed its shared-memory link");
        }

        var bytes = MemoryMarshal.AsBytes(data);

        // In order: straight in only while nothing waits in the queue.
        if (Volatile.Read(ref _queued) == 0 && _outbound.TryWrite(header, bytes))
        {
            return;
        }

        var copy = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(copy);
        Interlocked.Increment(ref _queued);
        _overflow.Enqueue((header, copy, bytes.Length));
        _pump ??= StartPump();
        _overflowReady.Release();
    }

    public ValueTask<InboundChunk> ReceiveAsync(CancellationToken cancel)
    {
        if (_inbound is null)
        {
            return _fallback.ReceiveAsync(cancel);
        }

        while (true)
        {
            if (_inbound.TryRead(out var header, out var offset, out var length))
            {
                return ValueTask.FromResult(new InboundChunk(header, _inboundData.Slice(offset, length)));
            }

            if (_inbound.State == ShmChannel.LinkState.Closed)
            {
                throw new RingLinkException($"rank {Rank}: rank {Left} closed its shared-memory link");
            }

            _inbound.WaitForData(cancel);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _inbound?.SetState(ShmChannel.LinkState.Closed);
        _outbound?.SetState(ShmChannel.LinkState.Closed);
        _overflowReady.Release();
        _pump?.Join(TimeSpan.FromSeconds(5));
        _outboundSegment?.Dispose();
        _inboundSegment?.Dispose();
        _overflowReady.Dispose();
        _stop.Dispose();
        await _fallback.DisposeAsync().ConfigureAwait(false);
    }

    private int Right => (Rank + 1) % WorldSize;

    private int Left => (Rank + WorldSize - 1) % WorldSize;

    private Thread StartPump()
    {
        var thread = new Thread(PumpLoop) { IsBackground = true, Name = $"shm ring pump to rank {Right}" };
        thread.Start();
        return thread;
    }

    /// <summary>Moves queued chunks into the neighbour's segment as it frees room, in order.</summary>
    private void PumpLoop()
    {
        try
        {
            while (true)
            {
                _overflowReady.Wait(_stop.Token);
                while (_overflow.TryDequeue(out var item))
                {
                    while (true)
                    {
                        // Read before trying: a reader that empties the queue between a failed try and the wait would
                        // otherwise leave nothing to wake the pump, and both ranks would wait for each other.
                        var released = _outbound!.ReleasedUpTo;
                        if (_outbound.TryWrite(item.Header, item.Bytes.AsSpan(0, item.Length)))
                        {
                            break;
                        }

                        if (_outbound.State == ShmChannel.LinkState.Closed)
                        {
                            throw new RingLinkException($"rank {Right} closed its shared-memory link");
                        }

                        _outbound.WaitForRoom(released, _stop.Token);
                    }

                    ArrayPool<byte>.Shared.Return(item.Bytes);
                    Interlocked.Decrement(ref _queued);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
        catch (RingLinkException ex)
        {
            _pumpFailure = ex;
        }
    }
}
