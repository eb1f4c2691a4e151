using System.CommandLine;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;

namespace Distributed.Coordinator.Cli;

/// <summary>`coordinator`: the coordinator of a distributed job alone, waiting for its workers to join (as on Kubernetes).</summary>
internal static class CoordinatorCommand
{
    public const int DefaultPort = 29500;

    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var d = new DistributedOptionsSet();
        var t = new TelemetryOptionsSet();
        var command = new Command("coordinator", "Run the coordinator of a distributed job: admit --workers N workers, hand out ranks and batches, report progress.");
        foreach (var option in o.All.Concat(d.ForCoordinator).Concat(t.ForCoordinator))
        {
            command.Add(option);
        }

        command.SetAction(async (r, cancel) =>
        {
            var workers = r.GetValue(d.Workers);
            if (workers < 1)
            {
                throw new UsageException($"coordinator needs --workers N (or WORLD_SIZE) of at least 1, got {workers}");
            }

            var job = JobSetup.Build(o, d, r, threadsOverride: 1, deviceOverride: "cpu");
            using var export = TelemetryExport.Start("coordinator", r.GetValue(t.TraceConsole));
            using var progress = DistributedRun.Progress(job, t, r, output);
            var console = progress.Output;
            DistributedRun.Describe(job, console);
            using var telemetry = DistributedRun.Telemetry(job, workers, t, r, console);
            var coordinator = new JobCoordinator(JobSetup.Plan(job, workers, r.GetValue(d.JobId)!) with { SendSpans = telemetry.SendSpans, WaitReport = telemetry.WaitReport }) { Observer = telemetry };
            var port = r.GetValue(d.Port) is >= 0 and var p ? p : DefaultPort;
            await using var host = await CoordinatorHost.StartAsync(coordinator, r.GetValue(d.Host)!, port, cancel);
            console.WriteLine($"coordinator of job '{coordinator.Plan.JobId}' listening on {r.GetValue(d.Host)}:{host.Port} for {workers} workers (ZeRO stage {(int)job.Parallel.Zero})");
            return await DistributedRun.DriveAsync(job, coordinator, progress, telemetry, cancel);
        });
        return command;
    }
}
