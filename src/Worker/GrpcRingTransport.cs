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
/// return at once; a writer task drains them onto the stream, so chunks are pipelined and HTTP/2 flow control is
/// the only back-pressure. Both directions use <see cref="RingMethod"/>'s codec, and chunks on both sides are reused,
/// so a steady ring allocates nothing per chunk.
/// </summary>
internal sealed class GrpcRingTransport : IRingTransport
{
    private readonly PeerInbox _inbox;
    private readonly GrpcChannel _channel;
    private readonly AsyncClientStreamingCall<OutboundChunk, RingClosed> _call;
    private readonly Channel<OutboundChunk> _outbox = Channel.CreateUnbounded<OutboundChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly ConcurrentQueue<OutboundChunk> _spare = new();
    private readonly Task _writer;
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
        _writer = Task.Run(WriteLoopAsync);
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
        _outbox.Writer.TryWrite(chunk);
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
        _outbox.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
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

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var chunk in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                // WriteAsync has serialized the chunk into the stream's buffers when it completes: reuse it.
                await _call.RequestStream.WriteAsync(chunk).ConfigureAwait(false);
                _spare.Enqueue(chunk);
            }
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            _failure = ex;
        }
    }
}
