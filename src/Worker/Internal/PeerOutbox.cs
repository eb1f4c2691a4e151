using System.Collections.Concurrent;
using Distributed.Core.Collectives;
using Grpc.Core;

namespace Distributed.Worker.Internal;

/// <summary>
/// This worker's ring chunks on their way to its right neighbour, which pulls them (<see cref="PeerService"/>). It
/// exists from the moment the worker listens, before the worker knows its rank, because the neighbour may pull
/// first; the welcome says which rank that neighbour must be (<see cref="Expect"/>). Sends copy into pooled chunks
/// and return at once. A chunk is written on the sender's thread when the stream is idle and queues behind the write
/// in progress otherwise (or until the neighbour's pull arrives), so chunks are pipelined and HTTP/2 flow control is
/// the only back-pressure. A rank runs on one CPU (--cpu-bind), so a writer task would be a context switch per
/// chunk that buys no parallelism.
/// </summary>
internal sealed class PeerOutbox
{
    private readonly TaskCompletionSource<(int Self, int Right)> _ranks = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<OutboundChunk> _spare = new();
    private readonly Queue<OutboundChunk> _pending = new();
    private readonly object _gate = new();
    private IServerStreamWriter<OutboundChunk>? _stream;
    private bool _writing;
    private int _attached;
    private volatile Exception? _failure;

    /// <summary>This worker's rank and the rank that may pull from it, once the welcome has said so.</summary>
    public Task<(int Self, int Right)> Ranks => _ranks.Task;

    /// <summary>Completes when this worker's end of the ring is closed (<see cref="CloseAsync"/> or <see cref="Fail"/>): the pull ends then.</summary>
    public Task Closed => _closed.Task;

    public void Expect(int self, int right) => _ranks.TrySetResult((self, right));

    /// <summary>Only one right neighbour may pull from a worker; a second pull is refused.</summary>
    public bool TryAttach() => Interlocked.CompareExchange(ref _attached, 1, 0) == 0;

    /// <summary>The neighbour's pull has been admitted: chunks sent so far and from now on go to <paramref name="stream"/>.</summary>
    public void Connect(IServerStreamWriter<OutboundChunk> stream)
    {
        OutboundChunk? first;
        lock (_gate)
        {
            _stream = stream;
            if (_writing || !_pending.TryDequeue(out first))
            {
                return;
            }

            _writing = true;
        }

        Pump(first);
    }

    /// <summary>Copies one chunk for the right neighbour; throws when its stream has already failed.</summary>
    public void Send(in ChunkHeader header, ReadOnlySpan<byte> payload)
    {
        if (_failure is { } failure)
        {
            var link = _ranks.Task.IsCompletedSuccessfully ? $"rank {_ranks.Task.Result.Self}: the ring stream to rank {_ranks.Task.Result.Right}" : "the ring stream";
            throw new RingLinkException($"{link} failed: {failure.Message}", failure);
        }

        var chunk = _spare.TryDequeue(out var spare) ? spare : new OutboundChunk();
        chunk.Fill(header, payload);
        lock (_gate)
        {
            if (_writing || _stream is null)
            {
                _pending.Enqueue(chunk);
                return;
            }

            _writing = true;
        }

        Pump(chunk);
    }

    /// <summary>The neighbour's pull broke or was refused for good: later sends fail with <paramref name="why"/>.</summary>
    public void Fail(Exception why)
    {
        _failure ??= why;
        _ranks.TrySetCanceled();
        _closed.TrySetResult();
    }

    /// <summary>Waits (up to <paramref name="patience"/>) until every chunk sent has been written, then ends the pull.</summary>
    public async Task CloseAsync(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (_failure is null && DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                if (!_writing && (_pending.Count == 0 || _stream is null))
                {
                    break;
                }
            }

            await Task.Delay(1).ConfigureAwait(false);
        }

        _ranks.TrySetCanceled();
        _closed.TrySetResult();
    }

    /// <summary>Writes <paramref name="chunk"/> and then whatever queued behind it, inline for as long as writes complete at once.</summary>
    private void Pump(OutboundChunk chunk)
    {
        while (true)
        {
            Task write;
            try
            {
                write = _stream!.WriteAsync(chunk);
            }
            catch (Exception ex)
            {
                // Whatever broke the write, the link is gone: the next Send says why, and nothing waits for it.
                Fail(ex);
                return;
            }

            if (!write.IsCompleted)
            {
                _ = FinishAsync(write, chunk);
                return;
            }

            if (!Finished(write, chunk) || !TryNext(out chunk))
            {
                return;
            }
        }
    }

    private async Task FinishAsync(Task write, OutboundChunk chunk)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Left "writing" for good: later chunks queue, and the next Send reports the failure.
            Fail(ex);
            return;
        }

        _spare.Enqueue(chunk);
        if (TryNext(out var next))
        {
            Pump(next);
        }
    }

    /// <summary>Whether a write that has completed succeeded; its chunk, serialized into the stream's buffers, is reused.</summary>
    private bool Finished(Task write, OutboundChunk chunk)
    {
        if (write.Exception?.InnerException is { } ex)
        {
            Fail(ex);
            return false;
        }

        if (write.IsCanceled)
        {
            Fail(new OperationCanceledException("the ring stream's write was cancelled"));
            return false;
        }

        _spare.Enqueue(chunk);
        return true;
    }

    /// <summary>The next queued chunk, or false after marking the stream idle.</summary>
    private bool TryNext(out OutboundChunk chunk)
    {
        lock (_gate)
        {
            if (_pending.TryDequeue(out chunk!))
            {
                return true;
            }

            _writing = false;
            return false;
        }
    }
}
