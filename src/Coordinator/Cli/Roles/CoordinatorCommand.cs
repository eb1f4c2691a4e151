using System.CommandLine;

namespace Distributed.Coordinator.Cli;

/// <summary>`coordinator`: the coordinator of a distributed job alone, waiting for its workers to join (as on Kubernetes).</summary>
internal static class CoordinatorCommand
{
    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var d = new DistributedOptionsSet();
        var t = new TelemetryOptionsSet();
        var command = new Command("coordinator", "Run the coordinator of a distributed job: admit --workers N workers, hand out ranks and batches, report progress.");
        command.WithOptions(o.All.Concat(d.ForCoordinator).Concat(t.ForCoordinator));

        command.SetAction((r, cancel) =>
        {
            var workers = d.WorldSize(r);
            var port = d.CoordinatorPort(r);
            var job = JobSetup.Build(o.Read(r), JobRole.Coordinator);
            var host = d.ListenHost(r);
            var jobId = d.Job(r);
            var secret = d.Secret(r, "coordinator");
            var tls = d.Certificates(r, "coordinator");
            return DistributedRun.CoordinateAsync(job, workers, jobId, secret, tls, host, port, local: null, t, r, output, cancel,
                (bound, console) => console.WriteLine($"coordinator of job '{jobId}' listening on {host}:{bound}{(tls is null ? "" : " (TLS)")} for {workers} workers (ZeRO stage {(int)job.Parallel.Zero})"));
        });
        return command;
    }
}
