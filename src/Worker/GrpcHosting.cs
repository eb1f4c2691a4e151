using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Distributed.Worker;

/// <summary>
/// The Kestrel settings both roles share: cleartext HTTP/2 (gRPC without TLS inside a job), flow-control windows
/// large enough that a ring chunk never waits for a window update, a message limit above the largest chunk, and the
/// standard gRPC health service.
/// </summary>
public static class GrpcHosting
{
    /// <summary>Largest gRPC message either side accepts: a ring chunk is at most 4 MB of floats plus its header.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    public static WebApplication Build(string host, int port, Action<IServiceCollection> services)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.Http2.InitialConnectionWindowSize = 32 * 1024 * 1024;
            kestrel.Limits.Http2.InitialStreamWindowSize = 16 * 1024 * 1024;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 1000;
            kestrel.Limits.Http2.MaxFrameSize = (1 << 24) - 1;
            kestrel.Limits.MinRequestBodyDataRate = null;
            if (host is "*" or "0.0.0.0" or "::")
            {
                kestrel.ListenAnyIP(port, o => o.Protocols = HttpProtocols.Http2);
            }
            else
            {
                var addresses = System.Net.IPAddress.TryParse(host, out var ip) ? [ip] : System.Net.Dns.GetHostAddresses(host);
                foreach (var address in addresses)
                {
                    kestrel.Listen(address, port, o => o.Protocols = HttpProtocols.Http2);
                }
            }
        });
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageBytes;
            o.MaxSendMessageSize = MaxMessageBytes;
            // An exception's text is for this process's log, not for whoever called: a stranger learns nothing from it.
            o.EnableDetailedErrors = false;
        });
        // The standard grpc.health.v1 service, which Kubernetes' gRPC probes call. With no check registered it
        // answers UNKNOWN, which fails a probe; one that always passes makes it SERVING while the server answers.
        builder.Services.AddGrpcHealthChecks().AddCheck("grpc", () => HealthCheckResult.Healthy());
        services(builder.Services);
        var app = builder.Build();
        app.MapGrpcHealthChecksService();
        return app;
    }

    /// <summary>The port Kestrel actually bound (the free one it picked when asked for port 0).</summary>
    public static int BoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First()).Port;
    }
}
