using Distributed.Core.Collectives;
using Distributed.Core.Collectives.SharedMemory;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Training;
using Distributed.Protocol;
using Distributed.Worker.Internal;
using Distributed.Worker.Security;
using Google.Protobuf;
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

    /// <summary>
    /// The ring links: through shared memory to each neighbour on this host that can map this rank's segment (or
    /// whose segment this rank can map), through gRPC otherwise, as <see cref="WorkerSettings.Transport"/> allows.
    /// </summary>
    private async Task<IRingTransport> ConnectRingAsync(Welcome welcome, PeerOutbox outbox, Core.Collectives.SharedMemory.ShmOffer? offer, CancellationToken cancel)
    {
        var right = (welcome.Rank + 1) % welcome.WorldSize;
        var left = (welcome.Rank + welcome.WorldSize - 1) % welcome.WorldSize;
        var grpc = new GrpcRingTransport(welcome.Rank, welcome.WorldSize, welcome.Ring[left], outbox, _settings.Secret, _settings.JobId, _settings.Tls);
        var offered = welcome.Shm.Count > right && welcome.Shm[right].Path.Length > 0 ? new ShmAddress(welcome.Shm[right].Path, welcome.Shm[right].Nonce.ToByteArray()) : null;
        try
        {
            return await SharedMemoryRing.ConnectAsync(welcome.Rank, welcome.WorldSize, grpc, offer, offered, attach: _settings.Transport != RingTransportKind.Grpc,
                required: _settings.Transport == RingTransportKind.Shm, _settings.PeerTimeout, _settings.OwnsCores ? SharedMemoryRing.OwnCoreSpin : SharedMemoryRing.DefaultSpin,
                line => _log.WriteLine(line), cancel).ConfigureAwait(false);
        }
        catch
        {
            await grpc.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task RunAsync(CancellationToken cancel)
    {
        var outbox = new PeerOutbox();
        await using var host = GrpcHosting.Build(_settings.Host, _settings.Port, _settings.Tls, services =>
        {
            services.AddSingleton(outbox);
            services.AddSingleton(new Admission(_settings.Secret, _settings.JobId, _settings.Tls, new Refusals("ring", _log)));
        });
        host.MapGrpcService<PeerService>();
        await host.StartAsync(cancel).ConfigureAwait(false);
        var address = AdvertisedAddress(GrpcHosting.BoundPort(host));

        // Offered before joining, so its path and nonce can reach the left neighbour in the welcome.
        using var offer = _settings.Transport == RingTransportKind.Grpc ? null : Core.Collectives.SharedMemory.ShmOffer.Create(_settings.ChunkFloats);
        var join = new JoinRequest
        {
            JobId = _settings.JobId,
            Config = _settings.Config,
            RequestedRank = _settings.RequestedRank,
            Address = address,
            Pid = Environment.ProcessId,
            Shm = offer is null ? null : new Protocol.ShmOffer { Path = offer.Path, Nonce = ByteString.CopyFrom(offer.Nonce) },
        };
        await using var session = await CoordinatorSession.JoinAsync(_settings.CoordinatorAddress, join, _settings.Secret, _settings.Tls, _settings.JoinTimeout, _log, cancel).ConfigureAwait(false);
        var welcome = session.Welcome;
        outbox.Expect(welcome.Rank, (welcome.Rank + 1) % welcome.WorldSize);
        _log.WriteLine($"joined as rank {welcome.Rank} of {welcome.WorldSize}; peer service at {address}");

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, session.Aborted);
        using var telemetry = new WorkerTelemetry(welcome, session);
        IRingTransport transport;
        try
        {
            transport = welcome.WorldSize == 1 ? InProcessRing.Create(1)[0] : await ConnectRingAsync(welcome, outbox, offer, linked.Token).ConfigureAwait(false);
        }
        catch (RingLinkException ex)
        {
            throw Report(ex, welcome.Rank, session);
        }

        await using (transport.ConfigureAwait(false))
        {
            var ring = new RingCollectives(transport, _settings.ChunkFloats, _settings.PeerTimeout) { Watch = telemetry.Watch };
            try
            {
                await _workload.RunAsync(new WorkerContext(welcome.Rank, welcome.WorldSize, ring, session, _log, telemetry, welcome.ResumeFrom is { Length: > 0 } resume ? resume : null), linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (session.Aborted.IsCancellationRequested && !cancel.IsCancellationRequested)
            {
                throw new WorkerException($"rank {welcome.Rank}: {session.AbortReason}");
            }
            catch (Exception ex) when (ex is RingLinkException or TrainingDivergedException or WorkerException or DataFormatException or IOException or UnauthorizedAccessException)
            {
                throw Report(ex, welcome.Rank, session);
            }
        }
    }

    /// <summary>Tells the coordinator why this rank fails (prefixed with the rank once), and becomes the worker's own error.</summary>
    private static WorkerException Report(Exception ex, int rank, CoordinatorSession session)
    {
        var self = $"rank {rank}";
        var message = ex is WorkerException || ex.Message.StartsWith($"{self} ", StringComparison.Ordinal) || ex.Message.StartsWith($"{self}:", StringComparison.Ordinal)
            ? ex.Message
            : $"{self}: {ex.Message}";
        session.Send(new WorkerMessage { Failed = new WorkerFailed { Message = message } });
        return new WorkerException(session.AbortReason is { } reason && ex is RingLinkException ? $"{self}: {reason}" : message, ex);
    }
}
