using k8s;
using k8s.Models;

namespace Distributed.Kubernetes.Tests;

/// <summary>The checked-in manifests and every rendering of them: typed without loss, consistent with each other.</summary>
public class ManifestsTests
{
    public static TheoryData<string> CheckedIn() => [.. CheckedInManifests()];

    /// <summary>Renderings that differ in everything `submit` can change.</summary>
    public static TheoryData<string> Variants() => [.. VariantJobs().Keys];

    private static Dictionary<string, ClusterJob> VariantJobs() => new()
    {
        ["default"] = BaseJob(),
        ["named"] = new ClusterJob("mnist-7", 5, [new TrainFlag("--model", "cnn")]) { Namespace = "ml-team" },
        ["one worker"] = new ClusterJob("solo", 1, []),
        ["gpus"] = new ClusterJob("gpu-run", 4, [new TrainFlag("--model", "cnn"), new TrainFlag("--zero", "2")]) { GpusPerWorker = 2, Image = "registry.example.com:5000/ml/distributed:1.4" },
        ["worker image"] = new ClusterJob("custom", 2, []) { GpusPerWorker = 1, WorkerImage = "registry.example.com/ml/trainer-gpu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" },
        ["resources"] = new ClusterJob("big", 3, []) { WorkerResources = new Resources("7500m", "30Gi"), CoordinatorResources = new Resources("0.5", "512Mi") },
        ["flags"] = new ClusterJob("flags", 2,
        [
            new TrainFlag("--data", "/mnt/data sets/mnist"), new TrainFlag("--optimizer", "adamw"), new TrainFlag("--lr", "3e-4"),
            new TrainFlag("--amsgrad"), new TrainFlag("--lr-schedule", "cosine"), new TrainFlag("--warmup-steps", "100"), new TrainFlag("--peer-timeout", "60"),
        ]),
    };

    [Theory]
    [MemberData(nameof(CheckedIn))]
    public void CheckedInManifestLoadsIntoTypedModelsWithoutLoss(string file)
    {
        var typed = YamlTrees.AssertLossless(File.ReadAllText(Path.Combine(RepoPaths.FindUp("deploy/k8s"), "..", "..", file)));

        Assert.NotEmpty(typed);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void RenderedVariantLoadsIntoTypedModelsWithoutLoss(string variant)
    {
        var yaml = Manifests.Render(VariantJobs()[variant]).ToYaml();

        var typed = YamlTrees.AssertLossless(yaml);

        Assert.Equal(["ConfigMap", "Service", "Service", "Job", "Job"], typed.Cast<IKubernetesObject>().Select(o => o.Kind));
    }

    [Fact]
    public void LosslessCheckFailsOnAFieldTheModelsDoNotKnow()
    {
        const string typo = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      restartPolcy: Never\n";

        Assert.ThrowsAny<Exception>(() => YamlTrees.AssertLossless(typo));
    }

    [Fact]
    public void RenderingTheBaseValuesGivesTheCheckedInManifests()
    {
        YamlTrees.AssertSameObjects(Manifests.Base().All, Manifests.Render(BaseJob()).All);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryReferenceInARenderingPointsAtThatRendering(string variant)
    {
        var job = VariantJobs()[variant];
        var r = Manifests.Render(job);
        var names = new JobNames(job.Name);

        Assert.All(r.All, o => Assert.Equal(job.Namespace, o.Metadata.NamespaceProperty));
        Assert.All(r.All, o => Assert.Equal(job.Name, o.Metadata.Labels[JobNames.InstanceLabel]));
        if (job.Name != Manifests.BaseName)
        {
            Assert.DoesNotContain($"{Manifests.BaseName}-", r.ToYaml(), StringComparison.Ordinal);
        }

        foreach (var (service, podJob) in new[] { (r.CoordinatorService, r.CoordinatorJob), (r.WorkersService, r.WorkersJob) })
        {
            Assert.All(service.Spec.Selector, s => Assert.Equal(s.Value, podJob.Spec.Template.Metadata.Labels[s.Key]));
            var port = Assert.Single(service.Spec.Ports);
            var container = Assert.Single(podJob.Spec.Template.Spec.Containers);
            Assert.Equal(port.Port, Assert.Single(container.Ports, p => p.Name == port.TargetPort.Value).ContainerPort);
            Assert.All(container.Env.Where(e => e.ValueFrom?.ConfigMapKeyRef is not null), e =>
            {
                Assert.Equal(r.Config.Name(), e.ValueFrom.ConfigMapKeyRef.Name);
                Assert.Contains(e.ValueFrom.ConfigMapKeyRef.Key, r.Config.Data.Keys);
            });
            var configVolume = Assert.Single(podJob.Spec.Template.Spec.Volumes, v => v.ConfigMap is not null);
            Assert.Equal(r.Config.Name(), configVolume.ConfigMap.Name);
            Assert.All(configVolume.ConfigMap.Items, i => Assert.Contains(i.Key, r.Config.Data.Keys));
        }

        Assert.Equal(names.Workers, r.WorkersService.Name());
        Assert.Equal(names.Workers, r.WorkersJob.Spec.Template.Spec.Subdomain);
        Assert.Equal($"{r.CoordinatorService.Name()}:{r.CoordinatorService.Spec.Ports[0].Port}", r.Config.Data["COORDINATOR_ADDRESS"]);
        Assert.Equal(r.CoordinatorJob.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort.ToString(), r.Config.Data["COORDINATOR_PORT"]);
        Assert.Equal(job.Name, r.Config.Data["JOB_ID"]);
        Assert.Equal(job.Workers.ToString(), r.Config.Data["WORLD_SIZE"]);
        Assert.Equal(job.Workers, r.WorkersJob.Spec.Completions);
        Assert.Equal(job.Workers, r.WorkersJob.Spec.Parallelism);
        Assert.Equal(ResponseFile.Format(job.TrainFlags), r.Config.Data["train.rsp"]);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void AnyFailureFailsTheWholeJobAndNothingIsRetried(string variant)
    {
        var r = Manifests.Render(VariantJobs()[variant]);

        Assert.Equal("Indexed", r.WorkersJob.Spec.CompletionMode);
        foreach (var job in new[] { r.CoordinatorJob, r.WorkersJob })
        {
            Assert.Equal(0, job.Spec.BackoffLimit);
            Assert.Equal("Never", job.Spec.Template.Spec.RestartPolicy);
            Assert.InRange(job.Spec.TtlSecondsAfterFinished ?? 0, 3600, 7 * 86400);
            Assert.Null(job.Spec.BackoffLimitPerIndex);
        }
    }

    [Fact]
    public void WithRestartsAndACheckpointVolumeEveryPodMountsItAndEachWorkerIndexMayFailOncePerRestart()
    {
        var job = new ClusterJob("ck", 3, [new TrainFlag("--model", "cnn")])
        {
            CheckpointClaim = "shared-ck",
            MaxRestarts = 2,
            CoordinatorFlags = [new TrainFlag("--checkpoint-dir", "/checkpoints/ck"), new TrainFlag("--max-restarts", "2")],
        };

        var r = Manifests.Render(job);

        foreach (var pod in new[] { r.CoordinatorJob, r.WorkersJob }.Select(j => j.Spec.Template.Spec))
        {
            Assert.Equal("shared-ck", pod.Volumes.Single(v => v.Name == "checkpoints").PersistentVolumeClaim.ClaimName);
            Assert.Equal(Manifests.CheckpointMountPath, pod.Containers[0].VolumeMounts.Single(m => m.Name == "checkpoints").MountPath);
        }

        Assert.Equal((null, 2), (r.WorkersJob.Spec.BackoffLimit, r.WorkersJob.Spec.BackoffLimitPerIndex));
        Assert.Equal(0, r.CoordinatorJob.Spec.BackoffLimit);
        Assert.Equal(["--checkpoint-dir /checkpoints/ck", "--max-restarts 2"], r.Config.Data["coordinator.rsp"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.DoesNotContain("checkpoint", r.Config.Data["train.rsp"]);
        Assert.Equal(["coordinator", "@/etc/distributed/train.rsp", "@/etc/distributed/coordinator.rsp"], r.CoordinatorJob.Spec.Template.Spec.Containers[0].Args);
        Assert.Throws<ArgumentException>(() => new ClusterJob("ck", 1, []) { CheckpointClaim = "Not_A_Name" });
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void ProbesCallTheGrpcHealthServiceOnTheRolesPort(string variant)
    {
        var r = Manifests.Render(VariantJobs()[variant]);

        foreach (var job in new[] { r.CoordinatorJob, r.WorkersJob })
        {
            var container = job.Spec.Template.Spec.Containers[0];
            var port = Assert.Single(container.Ports).ContainerPort;
            Assert.All(new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe }, probe =>
            {
                Assert.Equal(port, probe.Grpc.Port);
                Assert.Null(probe.Grpc.Service);
            });
            Assert.Equal(container.Resources.Requests, container.Resources.Limits.Where(l => l.Key != Manifests.GpuResource).ToDictionary());
        }

        Assert.Contains(r.WorkersJob.Spec.Template.Spec.Containers[0].Args, a => a == r.WorkersJob.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort.ToString());
    }

    [Fact]
    public void ATlsJobProbesItsPortsOverTcpAndPointsBothRolesAtTheCertificatesInItsSecret()
    {
        var r = Manifests.Render(BaseJob() with { Tls = true });

        foreach (var job in new[] { r.CoordinatorJob, r.WorkersJob })
        {
            var pod = job.Spec.Template.Spec;
            var container = pod.Containers[0];
            var port = Assert.Single(container.Ports).ContainerPort;
            Assert.All(new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe }, probe =>
            {
                Assert.Null(probe.Grpc);
                Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), probe.TcpSocket.Port.Value);
            });
            var mount = Assert.Single(container.VolumeMounts, m => m.MountPath == Manifests.SecretMountPath);
            Assert.Equal(new JobNames(Manifests.BaseName).Secret, Assert.Single(pod.Volumes, v => v.Name == mount.Name).Secret.SecretName);
            Assert.Equal(Manifests.SecretMountPath, Assert.Single(container.Env, e => e.Name == Manifests.TlsDirectoryVariable).Value);
        }

        Assert.DoesNotContain(Manifests.TlsDirectoryVariable, Manifests.Render(BaseJob()).ToYaml(), StringComparison.Ordinal);
    }

    [Fact]
    public void GpuJobAsksEachWorkerForGpusOnTheCudaImageAndLeavesTheCoordinatorOnCpu()
    {
        var r = Manifests.Render(VariantJobs()["gpus"]);

        var worker = r.WorkersJob.Spec.Template.Spec;
        Assert.Equal("registry.example.com:5000/ml/distributed:1.4-cuda", worker.Containers[0].Image);
        Assert.Equal("2", worker.Containers[0].Resources.Limits[Manifests.GpuResource].ToString());
        Assert.Contains(worker.Tolerations, t => t.Key == Manifests.GpuResource && t.Effect == "NoSchedule");
        var coordinator = r.CoordinatorJob.Spec.Template.Spec;
        Assert.Equal("registry.example.com:5000/ml/distributed:1.4", coordinator.Containers[0].Image);
        Assert.DoesNotContain(Manifests.GpuResource, coordinator.Containers[0].Resources.Limits.Keys);
        Assert.Null(coordinator.Tolerations);
    }

    [Fact]
    public void ResourcesAreRequestedAndLimitedAlike()
    {
        var r = Manifests.Render(VariantJobs()["resources"]);

        var worker = r.WorkersJob.Spec.Template.Spec.Containers[0].Resources;
        Assert.Equal(new ResourceQuantity("7500m"), worker.Requests["cpu"]);
        Assert.Equal(new ResourceQuantity("30Gi"), worker.Limits["memory"]);
        var coordinator = r.CoordinatorJob.Spec.Template.Spec.Containers[0].Resources;
        Assert.Equal(new ResourceQuantity("500m"), coordinator.Limits["cpu"]);
        Assert.Equal(new ResourceQuantity("512Mi"), coordinator.Requests["memory"]);
    }

    /// <summary>The job deploy/k8s/base describes, as a <see cref="ClusterJob"/>.</summary>
    internal static ClusterJob BaseJob() => new(Manifests.BaseName, 2, [new TrainFlag("--model", "mlp"), new TrainFlag("--epochs", "5")]);

    /// <summary>Every manifest under deploy/k8s (kustomization files excluded), relative to the repository root.</summary>
    private static IEnumerable<string> CheckedInManifests()
    {
        var root = RepoPaths.FindUp("deploy/k8s");
        return Directory.EnumerateFiles(root, "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Select(f => Path.GetRelativePath(Path.GetDirectoryName(Path.GetDirectoryName(root))!, f))
            .Order(StringComparer.Ordinal);
    }
}
