using System.CommandLine;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Compute.Cpu;
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
        command.WithOptions(o.ForWorker.Concat(d.ForWorker).Concat(t.ForWorker));

        command.Add(bench);
        command.SetAction(async (r, cancel) =>
        {
            var s = o.Read(r);
            var bound = false;
            if (d.WorkerCpus(r) is { } cpus)
            {
                // First, so the threads this process starts from here on (the compute team's among them) inherit it.
                var refused = CpuAffinity.BindProcess(cpus);
                bound = refused is null;
                output.WriteLine(bound ? $"worker bound to CPUs {CpuAffinity.Format(cpus)}" : $"worker runs unbound: {refused}");
            }

            var settings = new WorkerSettings
            {
                CoordinatorAddress = d.Coordinator(r),
                JobId = d.Job(r),
                Config = "",
                RequestedRank = d.WorkerRank(r),
                Host = d.ListenHost(r),
                Port = d.WorkerPort(r),
                Advertise = d.Advertised(r),
                JoinTimeout = Limits.Seconds(s.JoinTimeoutSeconds, "--join-timeout"),
                PeerTimeout = Limits.Seconds(s.PeerTimeoutSeconds, "--peer-timeout"),
                ChunkFloats = Limits.ChunkFloats(s.ChunkKb),
                Transport = Limits.Transport(s.Transport),
                OwnsCores = bound,

                // Last, so a mistake in the flags above is reported first.
                Secret = d.Secret(r, "worker"),
                Tls = d.Certificates(r, "worker"),
            };

            WorkerRuntime runtime;
            if (r.GetValue(bench) is { } sizes)
            {
                runtime = WorkerRuntime.ForAllReduceBenchmark(settings with { Config = BenchCommand.Config(sizes, s.ChunkKb) }, ByteSizes.ParseList(sizes), output);
            }
            else
            {
                var job = JobSetup.Build(s);
                output.WriteLine($"worker {job.DeviceReport}");
                runtime = WorkerRuntime.ForTraining(settings with { Config = job.Config }, job.Model, job.OptimizerSettings, job.Schedule, job.Data, job.Parallel, s.Save, output);
            }

            using var export = TelemetryExport.Start("worker", r.GetValue(t.TraceConsole));
            await runtime.RunAsync(cancel);
            return CliApp.Ok;
        });
        return command;
    }
}
