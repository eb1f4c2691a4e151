using System.Net.Sockets;
using Distributed.Core.Collectives;
using Distributed.Worker.Internal;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;
using static Distributed.Worker.Tests.GrpcRingTransportTests;

namespace Distributed.Worker.Tests.Internal;

/// <summary>Who a worker's Peer service lets pull, over real gRPC on 127.0.0.1: only its right neighbour of its own job, and only once the job has started.</summary>
public class PeerServiceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly ChunkHeader One = new(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1);

    [Fact]
    public async Task APullWithoutACredentialIsRefusedAndLoggedOnce()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        host.Outbox.Send(One, BitConverter.GetBytes(1f));
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var refused = await PullRefusalAsync(host, new Metadata());
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Equal("refused", refused.Status.Detail);
        }

        Assert.Equal(3, host.Refusals.Count);
        Assert.Single(host.Log.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task AnotherSecretAnotherJobOrAForgedRankIsUnauthenticated()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        var forged = RingCredential.Headers(Secret, JobId, 0);
        forged.Remove(forged.Get(RingCredential.RankHeader)!);
        forged.Add(RingCredential.RankHeader, "1");

        foreach (var headers in new[] { RingCredential.Headers(JobSecret.Create(), JobId, 1), RingCredential.Headers(Secret, "another-job", 1), forged })
        {
            Assert.Equal(StatusCode.Unauthenticated, (await PullRefusalAsync(host, headers)).StatusCode);
        }
    }

    [Fact]
    public async Task AnotherRankOfTheJobIsNotTheRightNeighbour()
    {
        await using var host = await PeerHost.StartAsync(self: 0);

        var refused = await PullRefusalAsync(host, RingCredential.Headers(Secret, JobId, 0));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
    }

    [Fact]
    public async Task AnOutsiderThatPullsFirstIsRefusedAndTheNeighbourStillGetsIn()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        host.Outbox.Send(One, BitConverter.GetBytes(42f));
        Assert.Equal(StatusCode.Unauthenticated, (await PullRefusalAsync(host, new Metadata())).StatusCode);

        await using var neighbour = Transport(1, 2, host.Address, new PeerOutbox());

        var chunk = await neighbour.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(42f, BitConverter.ToSingle(chunk.Payload.Span));
    }

    [Fact]
    public async Task NothingIsSentBeforeTheWelcomeAndWhatWasQueuedFollowsInOrder()
    {
        await using var host = await PeerHost.StartAsync(self: null);
        await using var neighbour = Transport(1, 2, host.Address, new PeerOutbox());
        for (var i = 0; i < 3; i++)
        {
            host.Outbox.Send(One with { Chunk = i }, BitConverter.GetBytes((float)i));
        }

        var first = neighbour.ReceiveAsync(CancellationToken.None).AsTask();
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(first.IsCompleted);

        host.Outbox.Expect(0, 1);
        Assert.Equal(0, (await first.WaitAsync(Patience)).Header.Chunk);
        for (var i = 1; i < 3; i++)
        {
            Assert.Equal(i, (await neighbour.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience)).Header.Chunk);
        }
    }

    [Fact]
    public async Task ASenderNeverWaitsForANeighbourThatDoesNotReadAndNothingIsLost()
    {
        // 48 chunks of 1 MB: more than the stream's and the connection's flow-control windows together, so most
        // wait in the outbox while the neighbour reads nothing; Send still returns at once.
        await using var host = await PeerHost.StartAsync(self: 0);
        await using var neighbour = Transport(1, 2, host.Address, new PeerOutbox());
        const int sent = 48;
        var payload = new byte[1 << 20];
        var sending = Task.Run(() =>
        {
            for (var i = 0; i < sent; i++)
            {
                host.Outbox.Send(new ChunkHeader(0, 0, 0, CollectivePhase.ReduceScatter, 0, i, payload.Length / sizeof(float)), payload);
            }
        });
        await sending.WaitAsync(Patience);

        for (var i = 0; i < sent; i++)
        {
            var chunk = await neighbour.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
            Assert.Equal(i, chunk.Header.Chunk);
            Assert.Equal(payload.Length, chunk.Payload.Length);
        }
    }

    [Fact]
    public async Task GarbageBytesOnThePortChangeNothing()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
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

        await using var neighbour = Transport(1, 2, host.Address, new PeerOutbox());
        host.Outbox.Send(One, BitConverter.GetBytes(7f));

        Assert.Equal(7f, BitConverter.ToSingle((await neighbour.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience)).Payload.Span));
        Assert.Equal(0, host.Refusals.Count);
    }

    [Fact]
    public async Task OverTlsTheNeighbourWithTheJobsCertificateGetsIn()
    {
        var tls = JobTls.Create(JobId);
        await using var host = await PeerHost.StartAsync(self: 0, tls: tls);
        await using var neighbour = Transport(1, 2, host.Address, new PeerOutbox(), tls);
        host.Outbox.Send(One, BitConverter.GetBytes(5f));

        Assert.Equal(5f, BitConverter.ToSingle((await neighbour.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience)).Payload.Span));
    }

    [Fact]
    public async Task OverTlsAClientWithoutACertificateFromTheJobsCaIsRefusedEvenWithTheRightCredential()
    {
        var tls = JobTls.Create(JobId);
        await using var host = await PeerHost.StartAsync(self: 0, tls: tls);
        var stranger = JobTls.Create("another-job");

        foreach (var certificates in new[] { [], new[] { stranger.Certificate } })
        {
            var options = new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { SslOptions = new() { ClientCertificates = [.. certificates], RemoteCertificateValidationCallback = (_, _, _, _) => true } },
            };
            var refused = await PullRefusalAsync(host, RingCredential.Headers(Secret, JobId, 1), options, "https");

            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Equal("refused", refused.Status.Detail);
        }

        Assert.Equal(2, host.Refusals.Count);
    }
}
