using System.CommandLine;
using System.Globalization;
using Distributed.Core.Models;
using Distributed.Kubernetes;
using Distributed.Worker.Security;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `submit`: renders a job from the checked-in manifests (deploy/k8s/base) and creates it on the cluster, or prints
/// it with --dry-run. The training flags given here go, exactly as given, into the job's ConfigMap, which both roles
/// read, so the coordinator and every worker run the same configuration; a new job secret goes into the job's
/// Secret, which every pod mounts and a dry run never prints.
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
        var tls = new Option<bool>("--tls") { Description = "mutual TLS between the job's pods under a CA made for the job (--tls false: cleartext HTTP/2)", DefaultValueFactory = _ => true };
        var dryRun = new Option<bool>("--dry-run") { Description = "print the manifests (YAML) instead of creating them" };
        var checkpointVolume = new Option<string?>("--checkpoint-volume") { Description = $"a PersistentVolumeClaim every pod mounts at {Manifests.CheckpointMountPath}; checkpoints go to {Manifests.CheckpointMountPath}/NAME unless --checkpoint-dir says where on it" };

        // The training flags both roles read from the job's ConfigMap; output files would stay inside a pod.
        var trainOptions = o.ForWorker.ToList();

        var command = new Command("submit", "Run a training job on Kubernetes: a coordinator Job and an Indexed Job of workers, from deploy/k8s/base.");
        command.WithOptions(trainOptions.Concat(o.Checkpointing).Concat([name, workers, image, workerImage, gpus, cpu, memory, coordinatorCpu, coordinatorMemory, tls, checkpointVolume, dryRun]).Concat(c.All));

        command.SetAction(async (r, cancel) =>
        {
            var jobName = r.GetValue(name) ?? DefaultName();
            var settings = Resolved(o.Read(r));
            var claim = r.GetValue(checkpointVolume);
            settings = CheckpointsOnVolume(settings, claim, jobName);
            var job = Validated(() => new ClusterJob(jobName, r.GetValue(workers), o.Given(settings, trainOptions).Select(f => new TrainFlag(f.Name, f.Values)).ToList())
            {
                CoordinatorFlags = [.. o.Given(settings, o.Checkpointing).Select(f => new TrainFlag(f.Name, f.Values))],
                CheckpointClaim = claim,
                MaxRestarts = settings.MaxRestarts,
                Image = r.GetValue(image)!,
                WorkerImage = r.GetValue(workerImage),
                GpusPerWorker = r.GetValue(gpus),
                WorkerResources = new Resources(r.GetValue(cpu)!, r.GetValue(memory)!),
                CoordinatorResources = new Resources(r.GetValue(coordinatorCpu)!, r.GetValue(coordinatorMemory)!),
                Namespace = r.GetValue(c.Namespace),
                Tls = r.GetValue(tls),
            });

            // The coordinator would refuse them too, but only once the pods run.
            RecoveryFlags.Rejoin(settings, job.Workers);

            if (r.GetValue(dryRun))
            {
                // The pods' references to the job's Secret are in the manifests; what it would hold is made only on submit.
                output.WriteLine($"# Secret {new JobNames(job.Name).Secret} (key '{Manifests.SecretKey}': the job's secret{(job.Tls ? $"; {JobTls.CaFile}, {JobTls.CertificateFile}, {JobTls.KeyFile}: its CA and certificate" : "")}) is made by submit and never printed.");
                output.Write(Manifests.Render(job).ToYaml());
                return CliApp.Ok;
            }

            using var cluster = c.Open(r);
            var submitter = new JobSubmitter(cluster);
            var placed = job with { Namespace = cluster.Namespace };
            var files = new Dictionary<string, string> { [Manifests.SecretKey] = JobSecret.Create().ToText() };
            if (job.Tls)
            {
                foreach (var (file, pem) in JobTls.Create(job.Name).ToPem())
                {
                    files[file] = pem;
                }
            }

            var secret = Manifests.Secret(placed, files);
            await submitter.SubmitAsync(Manifests.Render(placed), secret, output, cancel);
            output.WriteLine($"submitted job '{job.Name}' ({job.Workers} workers) to namespace '{cluster.Namespace}' at {cluster.Server}");
            output.WriteLine($"follow it with: status {job.Name}   logs {job.Name} --follow");
            return CliApp.Ok;
        });
        return command;
    }

    /// <summary>
    /// A pod's checkpoints must outlive it and be seen by every pod, so they go on the claimed volume: by default
    /// into a directory named after the job, else where --checkpoint-dir says, which must be on the volume.
    /// </summary>
    private static TrainSettings CheckpointsOnVolume(TrainSettings settings, string? claim, string jobName)
    {
        var onVolume = (string path) => path.StartsWith(Manifests.CheckpointMountPath + "/", StringComparison.Ordinal);
        if (claim is null)
        {
            if (settings.CheckpointDir is not null || settings.Resume is not null)
            {
                throw new UsageException($"--checkpoint-dir and --resume on a cluster need a volume every pod mounts: add --checkpoint-volume CLAIM (mounted at {Manifests.CheckpointMountPath})");
            }

            return settings;
        }

        foreach (var (flag, path) in new[] { ("--checkpoint-dir", settings.CheckpointDir), ("--resume", settings.Resume) })
        {
            if (path is not null && !onVolume(path))
            {
                throw new UsageException($"{flag} {path} is not on the checkpoint volume, which every pod mounts at {Manifests.CheckpointMountPath}");
            }
        }

        return settings.CheckpointDir is null ? settings with { CheckpointDir = $"{Manifests.CheckpointMountPath}/{jobName}" } : settings;
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
