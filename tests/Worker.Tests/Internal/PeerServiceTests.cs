using System.Net.Sockets;
using Distributed.Core.Collectives;
using Distributed.Worker.Internal;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;
using static Distributed.Worker.Tests.GrpcRingTransportTests;

namespace Distributed.Worker.Tests.Internal;

/// <summary>Who a worker's Peer service lets in, over real gRPC on 127.0.0.1: only its left neighbour of its own job, and only once the job has started.</summary>
public class PeerServiceTests
{
    private const string JobId = "ring-test";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly ChunkHeader One = new(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1);

    [Fact]
    public async Task ACallWithoutACredentialIsRefusedUnreadAndLoggedOnce()
    {
        await using var host = await PeerHost.StartAsync(left: 0);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var refused = await CallAsync(host, new Metadata());
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Equal("refused", refused.Status.Detail);
        }

        Assert.Equal(3, host.Refusals.Count);
        Assert.Single(host.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(0, host.Inbox.Reader.Count);
    }

    [Fact]
    public async Task AnotherSecretAnotherJobOrAForgedRankIsUnauthenticated()
    {
        await using var host = await PeerHost.StartAsync(left: 0);
        var ownSecret = RingSecret();
        var forged = RingCredential.Headers(ownSecret, JobId, 0);
        forged.Remove(forged.Get(RingCredential.RankHeader)!);
        forged.Add(RingCredential.RankHeader, "1");

        foreach (var headers in new[] { RingCredential.Headers(JobSecret.Create(), JobId, 0), RingCredential.Headers(ownSecret, "another-job", 0), forged })
        {
            Assert.Equal(StatusCode.Unauthenticated, (await CallAsync(host, headers)).StatusCode);
        }

        Assert.Equal(0, host.Inbox.Reader.Count);
    }

    [Fact]
    public async Task AnotherRankOfTheJobIsNotTheLeftNeighbour()
    {
        await using var host = await PeerHost.StartAsync(left: 0);

        var refused = await CallAsync(host, RingCredential.Headers(RingSecret(), JobId, 1));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal(0, host.Inbox.Reader.Count);
    }

    [Fact]
    public async Task AnOutsiderThatConnectsFirstIsRefusedAndTheNeighbourStillGetsIn()
    {
        await using var host = await PeerHost.StartAsync(left: 0);
        Assert.Equal(StatusCode.Unauthenticated, (await CallAsync(host, new Metadata(), [.. new byte[4096]])).StatusCode);

        await using var neighbour = new GrpcRingTransport(0, 2, host.Address, new PeerInbox(1000), RingCredential.Headers(RingSecret(), JobId, 0));
        neighbour.Send(One, [42f]);

        var chunk = await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience);
        Assert.Equal(42f, BitConverter.ToSingle(chunk.Payload.Span));
    }

    [Fact]
    public async Task NothingIsTakenFromTheNeighbourBeforeTheWelcome()
    {
        await using var host = await PeerHost.StartAsync(left: null);
        await using var neighbour = new GrpcRingTransport(0, 2, host.Address, new PeerInbox(1000), RingCredential.Headers(RingSecret(), JobId, 0));
        for (var i = 0; i < 3; i++)
        {
            neighbour.Send(One with { Chunk = i }, [i]);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Equal(0, host.Inbox.Reader.Count);

        host.Inbox.Expect(0);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, (await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience)).Header.Chunk);
        }
    }

    [Fact]
    public async Task ANeighbourThatRunsAheadIsHeldBackAtTheInboxCapacity()
    {
        // Chunks of 1M floats allow 8 in the inbox; tiny ones are sent, so flow control, not bytes, is what is tested.
        await using var host = await PeerHost.StartAsync(left: 0, chunkFloats: 1 << 20);
        var capacity = host.Inbox.Capacity;
        Assert.Equal(8, capacity);
        const int sent = 100;
        await using var neighbour = new GrpcRingTransport(0, 2, host.Address, new PeerInbox(1000), RingCredential.Headers(RingSecret(), JobId, 0));
        for (var i = 0; i < sent; i++)
        {
            neighbour.Send(One with { Chunk = i }, [i]);
        }

        var deadline = DateTime.UtcNow + Patience;
        while (host.Inbox.Reader.Count < capacity && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Equal(capacity, host.Inbox.Reader.Count);

        for (var i = 0; i < sent; i++)
        {
            Assert.Equal(i, (await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience)).Header.Chunk);
        }
    }

    [Fact]
    public async Task GarbageBytesOnThePortChangeNothing()
    {
        await using var host = await PeerHost.StartAsync(left: 0);
        var port = int.Parse(host.Address.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
            var garbage = new byte[64 * 1024];
            new Random(7).NextBytes(garbage);
            try
            {
                await tcp.GetStream().WriteAsync(garbage);
            }
            catch (IOException)
            {
                // Kestrel may hang up before it has all of it.
            }
        }

        await using var neighbour = new GrpcRingTransport(0, 2, host.Address, new PeerInbox(1000), RingCredential.Headers(RingSecret(), JobId, 0));
        neighbour.Send(One, [7f]);

        Assert.Equal(7f, BitConverter.ToSingle((await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience)).Payload.Span));
        Assert.Equal(0, host.Refusals.Count);
    }

    [Fact]
    public async Task OverTlsTheNeighbourWithTheJobsCertificateGetsIn()
    {
        var tls = JobTls.Create(JobId);
        await using var host = await PeerHost.StartAsync(left: 0, tls: tls);
        await using var neighbour = new GrpcRingTransport(0, 2, host.Address, new PeerInbox(1000), RingCredential.Headers(RingSecret(), JobId, 0), tls);
        neighbour.Send(One, [5f]);

        Assert.Equal(5f, BitConverter.ToSingle((await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(Patience)).Payload.Span));
    }

    [Fact]
    public async Task OverTlsAClientWithoutACertificateFromTheJobsCaIsRefusedEvenWithTheRightCredential()
    {
        var tls = JobTls.Create(JobId);
        await using var host = await PeerHost.StartAsync(left: 0, tls: tls);
        var stranger = JobTls.Create("another-job");

        foreach (var certificates in new[] { [], new[] { stranger.Certificate } })
        {
            using var channel = GrpcChannel.ForAddress($"https://{host.Address}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { SslOptions = new() { ClientCertificates = [.. certificates], RemoteCertificateValidationCallback = (_, _, _, _) => true } },
            });
            using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(RawRing, null, new CallOptions(RingCredential.Headers(RingSecret(), JobId, 0)));
            var refused = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(Patience));

            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Equal("refused", refused.Status.Detail);
        }

        Assert.Equal(2, host.Refusals.Count);
        Assert.Equal(0, host.Inbox.Reader.Count);
    }

    /// <summary>The secret the test's <see cref="PeerHost"/>s hold.</summary>
    private static JobSecret RingSecret() => GrpcRingTransportTests.Secret;

    /// <summary>Opens a Ring call with <paramref name="headers"/>, sends <paramref name="bytes"/> and returns how it was refused.</summary>
    private static async Task<RpcException> CallAsync(PeerHost host, Metadata headers, byte[]? bytes = null)
    {
        using var channel = GrpcChannel.ForAddress($"http://{host.Address}");
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(RawRing, null, new CallOptions(headers));
        try
        {
            await call.RequestStream.WriteAsync(bytes ?? [1, 2, 3]);
        }
        catch (RpcException)
        {
            // Refused before the write got through.
        }

        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(Patience));
    }
}
