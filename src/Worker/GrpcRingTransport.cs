using System.Runtime.InteropServices;
using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Distributed.Worker;

/// <summary>
/// The ring over gRPC: this rank pulls its left neighbour's chunks through one server stream open for the whole
/// job (<c>Peer.Pull</c>), and its right neighbour pulls this rank's chunks from its <see cref="PeerOutbox"/>. The
/// receiving end is the client, whose SocketsHttpHandler reads faster than Kestrel: the anchor's server stream
/// outran its client stream by 1.5×. A receive reads the stream directly, with no queue in between, and chunks on
/// both sides are pooled, so a steady ring allocates nothing per chunk.
/// </summary>
internal sealed class GrpcRingTransport : IRingTransport
{
    private readonly PeerOutbox _outbox;
    private readonly GrpcChannel _channel;
    private readonly AsyncServerStreamingCall<ReceivedChunk> _call;
    private readonly JobSecret _secret;
    private readonly string _jobId;
    private readonly int _left;
    private bool _senderProven;
    private Task<bool>? _move;
    private ReceivedChunk? _lastReceived;

    /// <param name="leftAddress">where the left neighbour's Peer service listens.</param>
    /// <param name="outbox">this worker's outbox, which its right neighbour pulls from (welcomed by the caller).</param>
    /// <param name="tls">the job's certificates when it uses mutual TLS.</param>
    public GrpcRingTransport(int rank, int worldSize, string leftAddress, PeerOutbox outbox, JobSecret secret, string jobId, JobTls? tls = null)
    {
        Rank = rank;
        WorldSize = worldSize;
        _outbox = outbox;
        _secret = secret;
        _jobId = jobId;
        _left = (rank + worldSize - 1) % worldSize;
        _channel = GrpcChannel.ForAddress(PeerAddress.ToUri(leftAddress, tls is not null), new GrpcChannelOptions
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
        _call = _channel.CreateCallInvoker().AsyncServerStreamingCall(RingMethod.Pull, null, new CallOptions(RingCredential.Headers(secret, jobId, rank)), new PullRequest());
    }

    public int Rank { get; }

    public int WorldSize { get; }

    public void Send(in ChunkHeader header, ReadOnlySpan<float> data) => _outbox.Send(header, MemoryMarshal.AsBytes(data));

    /// <summary>The next chunk from the left neighbour; its payload stays valid until the next call (see <see cref="IRingTransport"/>).</summary>
    public async ValueTask<InboundChunk> ReceiveAsync(CancellationToken cancel)
    {
        _lastReceived?.Return();
        _lastReceived = null;
        bool more;
        try
        {
            if (!_senderProven)
            {
                await ProveSenderAsync(cancel).ConfigureAwait(false);
            }

            // A cancelled receive leaves the stream's read pending for the next one: cancelling the read itself
            // would cancel the whole call, and a receive given up on (a hello not needed) is not a broken link.
            _move ??= _call.ResponseStream.MoveNext(CancellationToken.None);
            more = _move.IsCompleted ? await _move.ConfigureAwait(false) : await _move.WaitAsync(cancel).ConfigureAwait(false);
            _move = null;
        }
        catch (RpcException ex)
        {
            _move = null;
            throw new RingLinkException($"rank {Rank}: the ring stream from rank {_left} broke: {ex.Status.Detail}", ex);
        }

        if (!more)
        {
            throw new RingLinkException($"rank {Rank}: rank {_left} closed its ring stream");
        }

        var chunk = _call.ResponseStream.Current;
        _lastReceived = chunk;
        return new InboundChunk(chunk.Header, chunk.Payload);
    }

    public async ValueTask DisposeAsync()
    {
        await _outbox.CloseAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        _call.Dispose();
        _channel.Dispose();
    }

    /// <summary>Nothing is read from the stream before its headers prove it comes from this job's left neighbour of this rank.</summary>
    private async Task ProveSenderAsync(CancellationToken cancel)
    {
        var headers = await _call.ResponseHeadersAsync.WaitAsync(cancel).ConfigureAwait(false);
        if (RingCredential.Verify(headers, _secret, _jobId) != _left)
        {
            throw new RingLinkException($"rank {Rank}: the peer at rank {_left}'s address did not prove it is rank {_left} of this job");
        }

        _senderProven = true;
    }
}
