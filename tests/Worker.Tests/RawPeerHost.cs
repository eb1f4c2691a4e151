using Distributed.Worker.Internal;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Distributed.Worker.Tests;

/// <summary>
/// A process that answers Peer.Pull as it likes: with the given response headers (a credential, another job's, or
/// none) and then one message of the given raw bytes. It stands for a stranger or a broken neighbour on the left.
/// </summary>
internal sealed class RawPeerHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RawPeerHost(WebApplication app)
    {
        _app = app;
        Address = $"127.0.0.1:{GrpcHosting.BoundPort(app)}";
    }

    public string Address { get; }

    public static async Task<RawPeerHost> StartAsync(Metadata headers, byte[] message)
    {
        var app = GrpcHosting.Build("127.0.0.1", 0, null, services => services.AddSingleton(new RawPeer.Answer(headers, message)));
        app.MapGrpcService<RawPeer>();
        await app.StartAsync();
        return new RawPeerHost(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Bound by hand like <see cref="PeerService"/>; public and virtual, as grpc-dotnet requires of a handler.</summary>
    [BindServiceMethod(typeof(RawPeer), nameof(BindService))]
    internal class RawPeer(RawPeer.Answer answer)
    {
        public static void BindService(ServiceBinderBase binder, RawPeer? service) =>
            binder.AddMethod(GrpcRingTransportTests.RawPull, service is null ? null : service.Pull);

        public virtual async Task Pull(byte[] request, IServerStreamWriter<byte[]> responseStream, ServerCallContext context)
        {
            await context.WriteResponseHeadersAsync(answer.Headers);
            await responseStream.WriteAsync(answer.Message);

            // Stays open, as a neighbour would: the puller must judge what it got, not a closed stream.
            await Task.Delay(Timeout.Infinite, context.CancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        internal sealed record Answer(Metadata Headers, byte[] Message);
    }
}
