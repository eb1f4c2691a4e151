using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Distributed.Worker.Tests;

/// <summary>The ring over real gRPC on 127.0.0.1, in one process: two Kestrel hosts, each with its Peer service.</summary>
public class GrpcRingTransportTests
{
    private const string JobId = "ring-test";

    internal static readonly JobSecret Secret = JobSecret.Create();

    /// <summary>Rank <paramref name="rank"/>'s end of the ring, presenting its credential of this test's job.</summary>
    private static GrpcRingTransport Transport(int rank, int worldSize, string right, PeerInbox inbox) =>
        new(rank, worldSize, right, inbox, RingCredential.Headers(Secret, JobId, rank));

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public async Task AllReduceOverGrpcSumsExactlyAcrossManyChunksAndSteps(int exchangeMaxFloats)
    {
        await using var a = await PeerHost.StartAsync(left: 1);
        await using var b = await PeerHost.StartAsync(left: 0);
        await using var rank0 = Transport(0, 2, b.Address, a.Inbox);
        await using var rank1 = Transport(1, 2, a.Address, b.Inbox);
        var rings = new[] { new RingCollectives(rank0, chunkFloats: 1000) { ExchangeMaxFloats = exchangeMaxFloats }, new RingCollectives(rank1, chunkFloats: 1000) { ExchangeMaxFloats = exchangeMaxFloats } };

        // 20 steps of 10,001 floats each: 10 chunks per segment, so chunk buffers are reused many times over.
        for (var step = 0; step < 20; step++)
        {
            var buffers = Enumerable.Range(0, 2).Select(r => Enumerable.Range(0, 10_001).Select(i => (float)((i * (r + 1)) + step)).ToArray()).ToArray();
            await Task.WhenAll(rings.Select((ring, r) => ring.AllReduceAsync(buffers[r], new CollectiveTag(step, 0), CancellationToken.None)));

            for (var r = 0; r < 2; r++)
            {
                Assert.Equal(Enumerable.Range(0, 10_001).Select(i => (float)((i * 3) + (2 * step))), buffers[r]);
            }
        }
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(3, 13)]
    [InlineData(4, 3)]
    [InlineData(4, 1009)]
    [InlineData(5, 4)]
    [InlineData(5, 101)]
    public async Task EveryAlgorithmGivesEveryRankTheSameBitsOverGrpc(int n, int length)
    {
        var hosts = new PeerHost[n];
        for (var r = 0; r < n; r++)
        {
            hosts[r] = await PeerHost.StartAsync(left: (r + n - 1) % n);
        }

        var transports = Enumerable.Range(0, n).Select(r => Transport(r, n, hosts[(r + 1) % n].Address, hosts[r].Inbox)).ToArray();
        try
        {
            foreach (var exchangeMaxFloats in new[] { 0, int.MaxValue })
            {
                var rings = transports.Select(t => new RingCollectives(t, chunkFloats: 7) { ExchangeMaxFloats = exchangeMaxFloats }).ToArray();
                var inputs = Enumerable.Range(0, n).Select(r => Enumerable.Range(0, length).Select(i => MathF.Sin((i * 7) + r) * (r + 1)).ToArray()).ToArray();
                var buffers = inputs.Select(a => (float[])a.Clone()).ToArray();
                await Task.WhenAll(rings.Select((ring, r) => Task.Run(() => ring.AllReduceAsync(buffers[r], new CollectiveTag(0, 0), CancellationToken.None))));

                for (var r = 1; r < n; r++)
                {
                    Assert.True(buffers[0].AsSpan().SequenceEqual(buffers[r]), $"rank {r} differs from rank 0 (exchange up to {exchangeMaxFloats})");
                }

                Assert.All(Enumerable.Range(0, length), i => Assert.Equal(inputs.Sum(a => (double)a[i]), buffers[0][i], 3));
            }
        }
        finally
        {
            foreach (var transport in transports)
            {
                await transport.DisposeAsync();
            }

            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task SendsToANeighbourThatClosedItsEndFailWithAReasonAndDisposeDoesNotHang()
    {
        await using var host = await PeerHost.StartAsync(left: 0);
        var transport = Transport(0, 2, host.Address, new PeerInbox(1000));
        transport.Send(new ChunkHeader(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1), [1f]);
        await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        // The neighbour's worker closes its end: its Peer service ends the call, and the stream's writes fail.
        host.Inbox.Close(new RingLinkException("closed by the test"));

        // Chunks written inline or queued behind a write: either way, the broken stream surfaces in a later Send.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        RingLinkException? failure = null;
        for (var i = 1; failure is null && DateTime.UtcNow < deadline; i++)
        {
            try
            {
                transport.Send(new ChunkHeader(0, 0, 0, CollectivePhase.ReduceScatter, 0, i, 256), new float[256]);
                await Task.Delay(5);
            }
            catch (RingLinkException ex)
            {
                failure = ex;
            }
        }

        Assert.NotNull(failure);
        Assert.StartsWith("rank 0: the ring stream to rank 1 failed", failure.Message, StringComparison.Ordinal);
        await transport.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task ALinkThatCannotBeSharedFallsBackToGrpcThroughItsHello()
    {
        // Rank 0 may not map rank 1's segment (as under --transport grpc): it says hello over gRPC, and that link
        // carries the ring; the other link goes through shared memory.
        await using var a = await PeerHost.StartAsync(left: 1);
        await using var b = await PeerHost.StartAsync(left: 0);
        var offers = new[] { Core.Collectives.SharedMemory.ShmOffer.Create(1000), Core.Collectives.SharedMemory.ShmOffer.Create(1000) };
        var grpc = new[] { Transport(0, 2, b.Address, a.Inbox), Transport(1, 2, a.Address, b.Inbox) };
        var links = await Task.WhenAll(Enumerable.Range(0, 2).Select(r => Core.Collectives.SharedMemory.SharedMemoryRing.ConnectAsync(
            r, 2, grpc[r], offers[r], new Core.Collectives.SharedMemory.ShmAddress(offers[1 - r].Path, offers[1 - r].Nonce), attach: r == 1, required: false,
            TimeSpan.FromSeconds(20), _ => { }, CancellationToken.None)));
        try
        {
            Assert.False(links[0].SendsShared);
            Assert.False(links[1].ReceivesShared);
            Assert.True(links[1].SendsShared && links[0].ReceivesShared);
            var buffers = Enumerable.Range(0, 2).Select(r => Enumerable.Range(0, 5_003).Select(i => (float)(i + r)).ToArray()).ToArray();
            var rings = links.Select(l => new RingCollectives(l, chunkFloats: 1000)).ToArray();
            await Task.WhenAll(rings.Select((ring, r) => Task.Run(() => ring.AllReduceAsync(buffers[r], new CollectiveTag(1, 0), CancellationToken.None))));
            Assert.All(buffers, buffer => Assert.Equal(Enumerable.Range(0, 5_003).Select(i => (float)((2 * i) + 1)), buffer));
        }
        finally
        {
            foreach (var link in links)
            {
                await link.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task APeerThatSendsGarbageBreaksTheLinkWithAReason()
    {
        await using var host = await PeerHost.StartAsync(left: 7);
        using var channel = GrpcChannel.ForAddress($"http://{host.Address}");
        using var call = channel.CreateCallInvoker().AsyncClientStreamingCall(RawRing, null, new CallOptions(RingCredential.Headers(Secret, JobId, 7)));

        await call.RequestStream.WriteAsync([0x42, 0x7F, 1, 2, 3]);

        var closed = await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(async () => await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        var error = Assert.IsType<RingLinkException>(closed.InnerException);
        Assert.Equal("the ring stream from rank 7 broke: a ring chunk's field 8 claims 127 bytes, but only 3 follow", error.Message);
    }

    [Fact]
    public async Task ASecondLeftNeighbourIsRefused()
    {
        await using var host = await PeerHost.StartAsync();
        await using var first = Transport(0, 2, host.Address, new PeerInbox(1000));
        first.Send(new ChunkHeader(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1), [1f]);
        var chunk = await host.Inbox.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, chunk.Header.Length);

        using var channel = GrpcChannel.ForAddress($"http://{host.Address}");
        using var second = channel.CreateCallInvoker().AsyncClientStreamingCall(RingMethod.Send, null, new CallOptions(RingCredential.Headers(Secret, JobId, 0)));
        var refused = await Assert.ThrowsAsync<RpcException>(() => second.ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    /// <summary>The Ring method with raw bytes for messages, as a client that sends whatever it likes would call it.</summary>
    internal static readonly Method<byte[], RingClosed> RawRing = new(MethodType.ClientStreaming, RingMethod.Receive.ServiceName, RingMethod.Receive.Name,
        Marshallers.Create<byte[]>(b => b, b => b), Marshallers.Create<RingClosed>(_ => [], _ => new RingClosed()));

    /// <summary>A Kestrel host with a worker's Peer service and inbox, on a free port of 127.0.0.1, welcomed as the right neighbour of rank <c>left</c> (null: not yet).</summary>
    internal sealed class PeerHost : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private PeerHost(WebApplication app, PeerInbox inbox, Refusals refusals, StringWriter log)
        {
            _app = app;
            Inbox = inbox;
            Refusals = refusals;
            LogWriter = log;
            Address = $"127.0.0.1:{GrpcHosting.BoundPort(app)}";
        }

        public PeerInbox Inbox { get; }

        public Refusals Refusals { get; }

        public string Address { get; }

        public string Log
        {
            get
            {
                lock (LogWriter)
                {
                    return LogWriter.ToString();
                }
            }
        }

        private StringWriter LogWriter { get; }

        public static async Task<PeerHost> StartAsync(int? left = 0, int chunkFloats = 1000, JobTls? tls = null)
        {
            var inbox = new PeerInbox(chunkFloats);
            if (left is { } rank)
            {
                inbox.Expect(rank);
            }

            var log = new StringWriter();
            var refusals = new Refusals("ring", log);
            var app = GrpcHosting.Build("127.0.0.1", 0, tls, services => services.AddSingleton(inbox).AddSingleton(new Admission(Secret, JobId, tls, refusals)));
            app.MapGrpcService<PeerService>();
            await app.StartAsync();
            return new PeerHost(app, inbox, refusals, log);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
