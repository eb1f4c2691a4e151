using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Distributed.Worker;

/// <summary>
/// The ring over gRPC: one client stream to the right neighbour's Peer service, open for the whole job, and the
/// left neighbour's stream arriving in this worker's <see cref="PeerInbox"/>. Sends copy into pooled buffers and
/// return at once; a writer task drains them onto the stream, so chunks are pipelined and HTTP/2 flow control is
/// the only back-pressure.
/// </summary>
internal sealed class GrpcRingTransport : IRingTransport
{
    public const string RankHeader = "x-ring-rank";

    private readonly PeerInbox _inbox;
    private readonly GrpcChannel _channel;
    private readonly AsyncClientStreamingCall<RingChunk, RingClosed> _call;
    private readonly Channel<(RingChunk Message, byte[] Rented)> _outbox = Channel.CreateUnbounded<(RingChunk, byte[])>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _writer;
    private readonly int _right;
    private volatile Exception? _failure;

    public GrpcRingTransport(int rank, int worldSize, string rightAddress, PeerInbox inbox)
    {
        Rank = rank;
        WorldSize = worldSize;
        _inbox = inbox;
        _right = (rank + 1) % worldSize;
        _channel = GrpcChannel.ForAddress(ToUri(rightAddress), new GrpcChannelOptions
        {
            MaxSendMessageSize = GrpcHosting.MaxMessageBytes,
            MaxReceiveMessageSize = GrpcHosting.MaxMessageBytes,
            HttpHandler = new SocketsHttpHandler
            {
                InitialHttp2StreamWindowSize = 16 * 1024 * 1024,
                KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                ConnectTimeout = TimeSpan.FromSeconds(10),
            },
        });
        var client = new Peer.PeerClient(_channel);
        _call = client.Ring(new Metadata { { RankHeader, rank.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
        _writer = Task.Run(WriteLoopAsync);
    }

    public int Rank { get; }

    public int WorldSize { get; }

    public static Uri ToUri(string address) => new(address.Contains("://", StringComparison.Ordinal) ? address : $"http://{address}");

    public void Send(in ChunkHeader header, ReadOnlySpan<float> data)
    {
        if (_failure is { } failure)
        {
            throw new RingLinkException($"rank {Rank}: the ring stream to rank {_right} failed: {failure.Message}", failure);
        }

        var bytes = MemoryMarshal.AsBytes(data);
        var rented = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(rented);
        var message = new RingChunk
        {
            Sequence = header.Sequence,
            Step = header.Step,
            Bucket = header.Bucket,
            Phase = (int)header.Phase,
            RingStep = header.RingStep,
            Chunk = header.Chunk,
            Length = header.Length,
            Data = UnsafeByteOperations.UnsafeWrap(rented.AsMemory(0, bytes.Length)),
        };
        _outbox.Writer.TryWrite((message, rented));
    }

    public async ValueTask<InboundChunk> ReceiveAsync(CancellationToken cancel)
    {
        try
        {
            return await _inbox.Reader.ReadAsync(cancel).ConfigureAwait(false);
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
            await foreach (var (message, rented) in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await _call.RequestStream.WriteAsync(message).ConfigureAwait(false);
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            _failure = ex;
        }
    }
}
