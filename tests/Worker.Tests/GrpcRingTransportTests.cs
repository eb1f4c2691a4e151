using Distributed.Core.Collectives;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Distributed.Worker.Tests;

/// <summary>The ring over real gRPC on 127.0.0.1, in one process: one Kestrel host per rank, each with its Peer service.</summary>
public class GrpcRingTransportTests
{
    internal const string JobId = "ring-test";

    internal static readonly JobSecret Secret = JobSecret.Create();

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly ChunkHeader One = new(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1);

    /// <summary>Rank <paramref name="rank"/>'s end of the ring of this test's job: it pulls from <paramref name="left"/> and sends through <paramref name="outbox"/>.</summary>
    internal static GrpcRingTransport Transport(int rank, int worldSize, string left, PeerOutbox outbox, JobTls? tls = null) =>
        new(rank, worldSize, left, outbox, Secret, JobId, tls);

    /// <summary>Rank 1 pulling from <paramref name="host"/> (rank 0), its link proven by one chunk received.</summary>
    private static async Task<GrpcRingTransport> ConnectedPullerAsync(PeerHost host)
    {
        var puller = Transport(1, 2, host.Address, new PeerOutbox());
        host.Outbox.Send(One, BitConverter.GetBytes(1f));
        await puller.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        return puller;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(int.MaxValue)]
    public async Task AllReduceOverGrpcSumsExactlyAcrossManyChunksAndSteps(int exchangeMaxFloats)
    {
        await using var a = await PeerHost.StartAsync(self: 0);
        await using var b = await PeerHost.StartAsync(self: 1);
        await using var rank0 = Transport(0, 2, b.Address, a.Outbox);
        await using var rank1 = Transport(1, 2, a.Address, b.Outbox);
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
            hosts[r] = await PeerHost.StartAsync(self: r, worldSize: n);
        }

        var transports = Enumerable.Range(0, n).Select(r => Transport(r, n, hosts[(r + n - 1) % n].Address, hosts[r].Outbox)).ToArray();
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
    public async Task SendsToANeighbourThatStoppedPullingFailWithAReasonAndDisposeDoesNotHang()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        var puller = await ConnectedPullerAsync(host);

        // The right neighbour's worker closes its end: its pull is cancelled, and the sender's writes fail.
        await puller.DisposeAsync();

        // Chunks written inline or queued behind a write: either way, the broken stream surfaces in a later Send.
        var deadline = DateTime.UtcNow + Patience;
        RingLinkException? failure = null;
        for (var i = 1; failure is null && DateTime.UtcNow < deadline; i++)
        {
            try
            {
                host.Outbox.Send(One with { Chunk = i, Length = 256 }, new byte[1024]);
                await Task.Delay(5);
            }
            catch (RingLinkException ex)
            {
                failure = ex;
            }
        }

        Assert.NotNull(failure);
        Assert.StartsWith("rank 0: the ring stream to rank 1 failed", failure.Message, StringComparison.Ordinal);
        await host.Outbox.CloseAsync(TimeSpan.FromSeconds(5)).WaitAsync(Patience);
    }

    [Fact]
    public async Task ALeftNeighbourThatClosesItsEndFailsTheNextReceiveWithAReason()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        await using var puller = await ConnectedPullerAsync(host);

        await host.Outbox.CloseAsync(TimeSpan.FromSeconds(5));

        var failure = await Assert.ThrowsAsync<RingLinkException>(() => puller.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience));
        Assert.Equal("rank 1: rank 0 closed its ring stream", failure.Message);
    }

    [Fact]
    public async Task ALeftNeighbourThatVanishesFailsTheNextReceiveWithAReason()
    {
        var host = await PeerHost.StartAsync(self: 0);
        await using var puller = await ConnectedPullerAsync(host);
        var receive = puller.ReceiveAsync(CancellationToken.None).AsTask();

        await host.DisposeAsync();

        var failure = await Assert.ThrowsAsync<RingLinkException>(() => receive.WaitAsync(Patience));
        Assert.StartsWith("rank 1: ", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("\n", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACancelledReceiveLeavesTheLinkWorking()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        await using var puller = await ConnectedPullerAsync(host);

        using (var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(200)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => puller.ReceiveAsync(soon.Token).AsTask());
        }

        host.Outbox.Send(One with { Chunk = 1 }, BitConverter.GetBytes(2f));
        var chunk = await puller.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(1, chunk.Header.Chunk);
        Assert.Equal(2f, BitConverter.ToSingle(chunk.Payload.Span));
    }

    [Fact]
    public async Task ALinkThatCannotBeSharedFallsBackToGrpcThroughItsHello()
    {
        // Rank 0 may not map rank 1's segment (as under --transport grpc): it says hello over gRPC, and that link
        // carries the ring; the other link goes through shared memory.
        await using var a = await PeerHost.StartAsync(self: 0);
        await using var b = await PeerHost.StartAsync(self: 1);
        var offers = new[] { Core.Collectives.SharedMemory.ShmOffer.Create(1000), Core.Collectives.SharedMemory.ShmOffer.Create(1000) };
        var grpc = new[] { Transport(0, 2, b.Address, a.Outbox), Transport(1, 2, a.Address, b.Outbox) };
        var links = await Task.WhenAll(Enumerable.Range(0, 2).Select(r => Core.Collectives.SharedMemory.SharedMemoryRing.ConnectAsync(
            r, 2, grpc[r], offers[r], new Core.Collectives.SharedMemory.ShmAddress(offers[1 - r].Path, offers[1 - r].Nonce), attach: r == 1, required: false,
            TimeSpan.FromSeconds(20), Core.Collectives.SharedMemory.SharedMemoryRing.DefaultSpin, _ => { }, CancellationToken.None)));
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
        await using var sender = await RawPeerHost.StartAsync(RingCredential.Headers(Secret, JobId, 0), [0x42, 0x7F, 1, 2, 3]);
        await using var puller = Transport(1, 2, sender.Address, new PeerOutbox());

        var failure = await Assert.ThrowsAsync<RingLinkException>(() => puller.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience));

        Assert.StartsWith("rank 1: the ring stream from rank 0 broke: ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("a ring chunk's field 8 claims 127 bytes, but only 3 follow", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStrangerThatCannotProveItIsTheLeftNeighbourIsNotRead()
    {
        var chunk = new byte[RingChunkWire.Size(One, sizeof(float))];
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        RingChunkWire.Write(One, BitConverter.GetBytes(9f), writer);
        writer.WrittenSpan.CopyTo(chunk);
        var ownRank = RingCredential.Headers(Secret, JobId, 0);
        ownRank.Remove(ownRank.Get(RingCredential.RankHeader)!);
        ownRank.Add(RingCredential.RankHeader, "1");
        var impostors = new[] { new Metadata(), RingCredential.Headers(JobSecret.Create(), JobId, 0), RingCredential.Headers(Secret, "another-job", 0), RingCredential.Headers(Secret, JobId, 1), ownRank };

        foreach (var headers in impostors)
        {
            await using var stranger = await RawPeerHost.StartAsync(headers, chunk);
            await using var puller = Transport(1, 2, stranger.Address, new PeerOutbox());

            var failure = await Assert.ThrowsAsync<RingLinkException>(() => puller.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience));
            Assert.Equal("rank 1: the peer at rank 0's address did not prove it is rank 0 of this job", failure.Message);
        }
    }

    [Fact]
    public async Task ASecondRightNeighbourIsRefused()
    {
        await using var host = await PeerHost.StartAsync(self: 0);
        await using var first = Transport(1, 2, host.Address, new PeerOutbox());
        host.Outbox.Send(One, BitConverter.GetBytes(1f));
        var chunk = await first.ReceiveAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        Assert.Equal(1, chunk.Header.Length);

        var refused = await PullRefusalAsync(host, RingCredential.Headers(Secret, JobId, 1));

        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    /// <summary>The Pull method with raw bytes for messages, as an outsider would call it or answer it.</summary>
    internal static readonly Method<byte[], byte[]> RawPull = new(MethodType.ServerStreaming, RingMethod.Pull.ServiceName, RingMethod.Pull.Name,
        Marshallers.Create<byte[]>(b => b, b => b), Marshallers.Create<byte[]>(b => b, b => b));

    /// <summary>Pulls from <paramref name="host"/> with <paramref name="headers"/> and returns how it was refused.</summary>
    internal static async Task<RpcException> PullRefusalAsync(PeerHost host, Metadata headers, GrpcChannelOptions? options = null, string scheme = "http")
    {
        using var channel = GrpcChannel.ForAddress($"{scheme}://{host.Address}", options ?? new GrpcChannelOptions());
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(RawPull, null, new CallOptions(headers), []);
        return await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext().WaitAsync(Patience));
    }

    /// <summary>A Kestrel host with a worker's Peer service and outbox, on a free port of 127.0.0.1, welcomed as rank <c>self</c> (null: not yet).</summary>
    internal sealed class PeerHost : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private bool _disposed;

        private PeerHost(WebApplication app, PeerOutbox outbox, Refusals refusals, StringWriter log)
        {
            _app = app;
            Outbox = outbox;
            Refusals = refusals;
            LogWriter = log;
            Address = $"127.0.0.1:{GrpcHosting.BoundPort(app)}";
        }

        public PeerOutbox Outbox { get; }

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

        public static async Task<PeerHost> StartAsync(int? self = 0, int worldSize = 2, JobTls? tls = null)
        {
            var outbox = new PeerOutbox();
            if (self is { } rank)
            {
                outbox.Expect(rank, (rank + 1) % worldSize);
            }

            var log = new StringWriter();
            var refusals = new Refusals("ring", log);
            var app = GrpcHosting.Build("127.0.0.1", 0, tls, services => services.AddSingleton(outbox).AddSingleton(new Admission(Secret, JobId, tls, refusals)));
            app.MapGrpcService<PeerService>();
            await app.StartAsync();
            return new PeerHost(app, outbox, refusals, log);
        }

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await Outbox.CloseAsync(TimeSpan.Zero);
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
