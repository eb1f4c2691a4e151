using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Grpc.Core;
using Grpc.Net.Client;

namespace Distributed.Worker;

/// <summary>
/// The ring over gRPC: one client stream to the right neighbour's Peer service, open for the whole job, and the
/// left neighbour's stream arriving in this worker's <see cref="PeerInbox"/>. Sends copy into pooled chunks and
/// return at once; a chunk is written on the sender's thread when the stream is idle, and queues behind the write in
/// progress otherwise, so chunks are pipelined and HTTP/2 flow control is the only back-pressure. Both directions use <see cref="RingMethod"/>'s codec, and chunks on both sides are reused,
/// so a steady ring allocates nothing per chunk.
/// </summary>
internal sealed class GrpcRingTransport : IRingTransport
{
    private readonly PeerInbox _inbox;
    private readonly GrpcChannel _channel;
    private readonly AsyncClientStreamingCall<OutboundChunk, RingClosed> _call;
    private readonly ConcurrentQueue<OutboundChunk> _spare = new();
    private readonly Queue<OutboundChunk> _pending = new();
    private readonly object _gate = new();
    private bool _writing;
    private readonly int _right;
    private volatile Exception? _failure;
    private ReceivedChunk? _lastReceived;

    /// <param name="credential">this rank's ring credential (<see cref="Security.RingCredential.Headers"/>), which the right neighbour checks.</param>
    /// <param name="tls">the job's certificates when it uses mutual TLS.</param>
    public GrpcRingTransport(int rank, int worldSize, string rightAddress, PeerInbox inbox, Metadata credential, Security.JobTls? tls = null)
    {
        Rank = rank;
        WorldSize = worldSize;
        _inbox = inbox;
        _right = (rank + 1) % worldSize;
        _channel = GrpcChannel.ForAddress(PeerAddress.ToUri(rightAddress, tls is not null), new GrpcChannelOptions
        {
            MaxSendMessageSize = GrpcHosting.MaxMessageBytes,
            MaxReceiveMessageSize = GrpcHosting.MaxMessageBytes,
            HttpHandler = new SocketsHttpHandler
            {
                InitialHttp2StreamWindowSize = 16 * 1024 * 1024,
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(10),
                SslOptions = tls?.ClientOptions() ?? new(),
            },
        });
        _call = _channel.CreateCallInvoker().AsyncClientStreamingCall(RingMethod.Send, null, new CallOptions(credential));
    }

    public int Rank { get; }

    public int WorldSize { get; }

    public void Send(in ChunkHeader header, ReadOnlySpan<float> data)
    {
        if (_failure is { } failure)
        {
            throw new RingLinkException($"rank {Rank}: the ring stream to rank {_right} failed: {failure.Message}", failure);
        }

        var chunk = _spare.TryDequeue(out var spare) ? spare : new OutboundChunk();
        chunk.Fill(header, MemoryMarshal.AsBytes(data));
        lock (_gate)
        {
            if (_writing)
            {
                _pending.Enqueue(chunk);
                return;
            }

            _writing = true;
        }

        Pump(chunk);
    }

    /// <summary>The next chunk from the left neighbour; its payload stays valid until the next call (see <see cref="IRingTransport"/>).</summary>
    public async ValueTask<InboundChunk> ReceiveAsync(CancellationToken cancel)
    {
        try
        {
            _lastReceived?.Return();
            _lastReceived = null;
            var chunk = await _inbox.Reader.ReadAsync(cancel).ConfigureAwait(false);
            _lastReceived = chunk;
            return new InboundChunk(chunk.Header, chunk.Payload);
        }
        catch (ChannelClosedException ex)
        {
            var why = ex.InnerException?.Message ?? $"the ring stream from rank {(Rank + WorldSize - 1) % WorldSize} closed";
            throw new RingLinkException($"rank {Rank}: {why}", ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await DrainedAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await _call.RequestStream.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await _call.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or IOException or RingLinkException)
        {
            // The neighbour may already be gone at shutdown; nothing is left to deliver.
        }

        _call.Dispose();
        _channel.Dispose();
    }

    /// <summary>
    /// Writes <paramref name="chunk"/> and then whatever queued behind it, on the caller's thread for as long as
    /// writes complete at once. A rank runs on one CPU (--cpu-bind), so handing each chunk to a writer task was a
    /// context switch per chunk that bought no parallelism: on a 1 KB all-reduce, one of its four thread hops.
    /// </summary>
    private void Pump(OutboundChunk chunk)
    {
        while (true)
        {
            Task write;
            try
            {
                write = _call.RequestStream.WriteAsync(chunk);
            }
            catch (Exception ex)
            {
                // Whatever broke the write, the link is gone: the next Send says why, and nothing waits for it.
                _failure = ex;
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
            _failure = ex;
            return;
        }

        if (TryNext(out var next))
        {
            _spare.Enqueue(chunk);
            Pump(next);
        }
        else
        {
            _spare.Enqueue(chunk);
        }
    }

    /// <summary>Whether a write that has completed succeeded; its chunk, serialized into the stream's buffers, is reused.</summary>
    private bool Finished(Task write, OutboundChunk chunk)
    {
        if (write.Exception?.InnerException is { } ex)
        {
            _failure = ex;
            return false;
        }

        if (write.IsCanceled)
        {
            _failure = new OperationCanceledException("the ring stream's write was cancelled");
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

    private async Task DrainedAsync(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (_failure is null && DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                if (!_writing)
                {
                    return;
                }
            }

            await Task.Delay(1).ConfigureAwait(false);
        }
    }
}
