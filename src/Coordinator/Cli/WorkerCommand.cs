using System.CommandLine;
using Distributed.Coordinator.Telemetry;
using Distributed.Worker;

namespace Distributed.Coordinator.Cli;

/// <summary>`worker`: one worker of a distributed job, as Kubernetes or the local launcher starts it.</summary>
internal static class WorkerCommand
{
    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var d = new DistributedOptionsSet();
        var t = new TelemetryOptionsSet();
        var bench = new Option<string?>("--bench-allreduce") { Description = "benchmark all-reduce of these sizes instead of training (set by `bench allreduce`)", Hidden = true };
        var command = new Command("worker", "Run one worker of a distributed job: join the coordinator, train your shard, exchange gradients with your ring neighbours.");
        foreach (var option in o.All.Concat(d.ForWorker).Concat(t.ForWorker))
        {
            command.Add(option);
        }

        command.Add(bench);
        command.SetAction(async (r, cancel) =>
        {
            var coordinator = r.GetValue(d.CoordinatorAddress) ?? throw new UsageException("worker needs --coordinator host:port (or COORDINATOR_ADDRESS)");
            var port = r.GetValue(d.Port);
            var chunkKb = r.GetValue(d.ChunkKb);
            if (chunkKb is < 1 or > 4096)
            {
                throw new UsageException($"chunk size must be between 1 and 4096 KB, got {chunkKb}");
            }

            var settings = new WorkerSettings
            {
                CoordinatorAddress = coordinator,
                JobId = r.GetValue(d.JobId)!,
                Config = "",
                RequestedRank = r.GetValue(d.Rank),
                Host = r.GetValue(d.Host)!,
                Port = port < 0 ? 0 : port,
                Advertise = r.GetValue(d.Advertise) ?? Environment.GetEnvironmentVariable("POD_IP"),
                JoinTimeout = TimeSpan.FromSeconds(r.GetValue(d.JoinTimeout)),
                PeerTimeout = TimeSpan.FromSeconds(r.GetValue(d.PeerTimeout)),
                ChunkFloats = chunkKb * 1024 / sizeof(float),
            };

            WorkerRuntime runtime;
            if (r.GetValue(bench) is { } sizes)
            {
                runtime = WorkerRuntime.ForAllReduceBenchmark(settings with { Config = BenchCommand.Config(sizes, chunkKb) }, ByteSizes.ParseList(sizes), output);
            }
            else
            {
                var job = JobSetup.Build(o, d, r);
                output.WriteLine($"worker {job.DeviceReport}");
                runtime = WorkerRuntime.ForTraining(settings with { Config = job.Config, PeerTimeout = job.PeerTimeout, JoinTimeout = job.JoinTimeout }, job.Model, job.OptimizerSettings, job.Schedule, job.Data, job.Parallel, job.SavePath, output);
            }

            using var export = TelemetryExport.Start("worker", r.GetValue(t.TraceConsole));
            await runtime.RunAsync(cancel);
            return CliApp.Ok;
        });
        return command;
    }
}
