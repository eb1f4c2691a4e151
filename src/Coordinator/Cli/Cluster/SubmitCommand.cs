using System.CommandLine;
using System.Globalization;
using Distributed.Core.Models;
using Distributed.Kubernetes;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `submit`: renders a job from the checked-in manifests (deploy/k8s/base) and creates it on the cluster, or prints
/// it with --dry-run. The training flags given here go, exactly as given, into the job's ConfigMap, which both roles
/// read, so the coordinator and every worker run the same configuration.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var c = new ClusterOptionsSet();
        var name = new Option<string?>("--name") { Description = "job name, also JOB_ID (default: distributed-YYMMDD-HHMMSS)" };
        var workers = new Option<int>("--workers") { Description = "worker pods (the world size)", DefaultValueFactory = _ => 2 };
        var image = new Option<string>("--image") { Description = "container image of both roles", DefaultValueFactory = _ => Manifests.DefaultImage };
        var workerImage = new Option<string?>("--worker-image") { Description = "workers' image (default: --image, or its '-cuda' tag with --gpus)" };
        var gpus = new Option<int>("--gpus") { Description = "NVIDIA GPUs per worker", DefaultValueFactory = _ => 0 };
        var cpu = new Option<string>("--cpu") { Description = "CPU per worker, requested and limited (Kubernetes quantity)", DefaultValueFactory = _ => "2" };
        var memory = new Option<string>("--memory") { Description = "memory per worker, requested and limited", DefaultValueFactory = _ => "2Gi" };
        var coordinatorCpu = new Option<string>("--coordinator-cpu") { Description = "CPU for the coordinator", DefaultValueFactory = _ => "1" };
        var coordinatorMemory = new Option<string>("--coordinator-memory") { Description = "memory for the coordinator", DefaultValueFactory = _ => "1Gi" };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the manifests (YAML) instead of creating them" };

        // The training flags both roles read from the job's ConfigMap; output files would stay inside a pod.
        var trainOptions = o.ForWorker.ToList();

        var command = new Command("submit", "Run a training job on Kubernetes: a coordinator Job and an Indexed Job of workers, from deploy/k8s/base.");
        command.WithOptions(trainOptions.Concat([name, workers, image, workerImage, gpus, cpu, memory, coordinatorCpu, coordinatorMemory, dryRun]).Concat(c.All));

        command.SetAction(async (r, cancel) =>
        {
            var job = Validated(() => new ClusterJob(r.GetValue(name) ?? DefaultName(), r.GetValue(workers), o.Given(Resolved(o.Read(r)), trainOptions).Select(f => new TrainFlag(f.Name, f.Values)).ToList())
            {
                Image = r.GetValue(image)!,
                WorkerImage = r.GetValue(workerImage),
                GpusPerWorker = r.GetValue(gpus),
                WorkerResources = new Resources(r.GetValue(cpu)!, r.GetValue(memory)!),
                CoordinatorResources = new Resources(r.GetValue(coordinatorCpu)!, r.GetValue(coordinatorMemory)!),
                Namespace = r.GetValue(c.Namespace),
            });

            if (r.GetValue(dryRun))
            {
                output.Write(Manifests.Render(job).ToYaml());
                return CliApp.Ok;
            }

            using var cluster = c.Open(r);
            var submitter = new JobSubmitter(cluster);
            await submitter.SubmitAsync(Manifests.Render(job with { Namespace = cluster.Namespace }), output, cancel);
            output.WriteLine($"submitted job '{job.Name}' ({job.Workers} workers) to namespace '{cluster.Namespace}' at {cluster.Server}");
            output.WriteLine($"follow it with: status {job.Name}   logs {job.Name} --follow");
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>A pod cannot read this machine's files: a network described in a file travels as its text.</summary>
    private static TrainSettings Resolved(TrainSettings settings) => settings with { Model = ModelChoice.Parse(settings.Model).Canonical };

    private static string DefaultName() => $"distributed-{DateTime.UtcNow.ToString("yyMMdd-HHmmss", CultureInfo.InvariantCulture)}";

    /// <summary>A job the renderer accepts; a bad name, image, count or quantity is bad input (exit 2).</summary>
    private static ClusterJob Validated(Func<ClusterJob> create)
    {
        try
        {
            var job = create();
            _ = job.EffectiveWorkerImage;
            return job;
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(CliApp.OneLine(ex));
        }
    }
}
