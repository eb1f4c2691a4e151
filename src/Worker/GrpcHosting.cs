using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Distributed.Worker;

/// <summary>
/// The Kestrel settings both roles share: HTTP/2, cleartext or with the job's mutual TLS, flow-control windows
/// large enough that a ring chunk never waits for a window update, a message limit above the largest chunk, and the
/// standard gRPC health service.
/// </summary>
public static class GrpcHosting
{
    /// <summary>Largest gRPC message either side accepts: a ring chunk is at most 4 MB of floats plus its header.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    /// <param name="tls">the job's certificates: every connection is TLS, the client's certificate asked for (and judged by the services, <see cref="Security.Admission"/>).</param>
    public static WebApplication Build(string host, int port, Security.JobTls? tls, Action<IServiceCollection> services)
    {
        void Configure(ListenOptions listen)
        {
            listen.Protocols = HttpProtocols.Http2;
            if (tls is not null)
            {
                listen.UseHttps(https =>
                {
                    https.ServerCertificate = tls.Certificate;
                    https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                    // The handshake takes any certificate or none, so a probe still reaches the health service; the
                    // job's services refuse a caller whose certificate the job's CA did not issue.
                    https.ClientCertificateValidation = (_, _, _) => true;
                });
            }
        }

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
                kestrel.ListenAnyIP(port, Configure);
            }
            else
            {
                var addresses = System.Net.IPAddress.TryParse(host, out var ip) ? [ip] : System.Net.Dns.GetHostAddresses(host);
                foreach (var address in addresses)
                {
                    kestrel.Listen(address, port, Configure);
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
