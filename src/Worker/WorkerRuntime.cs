using Distributed.Core.Collectives;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Distributed.Worker;

/// <summary>
/// One worker process from start to exit: listen for the left neighbour, join the coordinator, connect to the
/// right neighbour, run the workload, report. Any failure (a refused join, an abort, a lost peer or coordinator,
/// a diverged loss) is reported to the coordinator when it can still hear it and ends in a <see cref="WorkerException"/>.
/// </summary>
public sealed class WorkerRuntime
{
    private readonly WorkerSettings _settings;
    private readonly IWorkload _workload;
    private readonly TextWriter _log;

    private WorkerRuntime(WorkerSettings settings, IWorkload workload, TextWriter log)
    {
        _settings = settings;
        _workload = workload;
        _log = log;
    }

    public static WorkerRuntime ForTraining(WorkerSettings settings, Model model, OptimizerSettings optimizer, LearningRateSchedule schedule, DataSplit data, DataParallelOptions parallel, string? savePath, TextWriter log) =>
        new(settings, new TrainingWorkload(model, optimizer, schedule, data, parallel, savePath), log);

    public static WorkerRuntime ForAllReduceBenchmark(WorkerSettings settings, IReadOnlyList<long> sizesInBytes, TextWriter log) =>
        new(settings, new AllReduceBenchWorkload(sizesInBytes), log);

    /// <summary>Where peers dial this worker: the advertised host (its port added when missing), else the listening host, else the machine's name.</summary>
    private string AdvertisedAddress(int port)
    {
        if (_settings.Advertise is { } advertised)
        {
            return advertised.Contains(':', StringComparison.Ordinal) ? advertised : $"{advertised}:{port}";
        }

        var host = _settings.Host is "0.0.0.0" or "*" or "::" ? System.Net.Dns.GetHostName() : _settings.Host;
        return $"{host}:{port}";
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        var inbox = new PeerInbox();
        await using var host = GrpcHosting.Build(_settings.Host, _settings.Port, services =>
        {
            services.AddSingleton(inbox);
        });
        host.MapGrpcService<PeerService>();
        await host.StartAsync(cancel).ConfigureAwait(false);
        var address = AdvertisedAddress(GrpcHosting.BoundPort(host));

        var join = new JoinRequest
        {
            JobId = _settings.JobId,
            Config = _settings.Config,
            RequestedRank = _settings.RequestedRank,
            Address = address,
            Pid = Environment.ProcessId,
        };
        await using var session = await CoordinatorSession.JoinAsync(_settings.CoordinatorAddress, join, _settings.JoinTimeout, _log, cancel).ConfigureAwait(false);
        var welcome = session.Welcome;
        _log.WriteLine($"joined as rank {welcome.Rank} of {welcome.WorldSize}; peer service at {address}");

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, session.Aborted);
        using var telemetry = new WorkerTelemetry(welcome, session);
        IRingTransport transport = welcome.WorldSize == 1
            ? InProcessRing.Create(1)[0]
            : new GrpcRingTransport(welcome.Rank, welcome.WorldSize, welcome.Ring[(welcome.Rank + 1) % welcome.WorldSize], inbox);
        await using (transport.ConfigureAwait(false))
        {
            var ring = new RingCollectives(transport, _settings.ChunkFloats, _settings.PeerTimeout) { Watch = telemetry.Watch };
            try
            {
                await _workload.RunAsync(new WorkerContext(welcome.Rank, welcome.WorldSize, ring, session, _log, telemetry), linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (session.Aborted.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                throw new WorkerException($"rank {welcome.Rank}: {session.AbortReason}");
            }
            catch (Exception ex) when (ex is RingLinkException or TrainingDivergedException or WorkerException or DataFormatException)
            {
                var self = $"rank {welcome.Rank}";
                var message = ex is WorkerException || ex.Message.StartsWith($"{self} ", StringComparison.Ordinal) || ex.Message.StartsWith($"{self}:", StringComparison.Ordinal)
                    ? ex.Message
                    : $"{self}: {ex.Message}";
                session.Send(new WorkerMessage { Failed = new WorkerFailed { Message = message } });
                throw new WorkerException(session.AbortReason is { } reason && ex is RingLinkException ? $"rank {welcome.Rank}: {reason}" : message, ex);
            }
        }
    }
}
