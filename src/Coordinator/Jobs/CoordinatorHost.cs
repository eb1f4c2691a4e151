using Distributed.Worker;
using Distributed.Worker.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Distributed.Coordinator.Jobs;

/// <summary>The coordinator's gRPC server, listening for worker sessions while a driver runs the job.</summary>
internal sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CoordinatorHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    /// <param name="log">where refused calls are reported (once per caller).</param>
    public static async Task<CoordinatorHost> StartAsync(JobCoordinator job, string host, int port, TextWriter log, CancellationToken cancel)
    {
        var admission = new Admission(job.Plan.Secret, job.Plan.JobId, job.Plan.Tls, new Refusals("coordinator", log));
        var app = GrpcHosting.Build(host, port, job.Plan.Tls, services => services.AddSingleton(job).AddSingleton(new SessionNonces()).AddSingleton(admission));
        app.MapGrpcService<CoordinatorService>();
        await app.StartAsync(cancel).ConfigureAwait(false);
        return new CoordinatorHost(app, GrpcHosting.BoundPort(app));
    }

    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(grace.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
