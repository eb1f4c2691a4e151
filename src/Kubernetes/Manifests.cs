using System.Globalization;
using k8s;
using k8s.Models;

namespace Distributed.Kubernetes;

/// <summary>
/// Renders a <see cref="ClusterJob"/> from the checked-in manifests in deploy/k8s/base, which are embedded in this
/// assembly: the same probes, security settings and failure policy as `kubectl apply -k deploy/k8s`, with the
/// job's name, image, worker count, flags and resources filled in. The GPU settings match deploy/k8s/overlays/gpu.
/// </summary>
public static class Manifests
{
    /// <summary>The job name used by the checked-in manifests.</summary>
    public const string BaseName = "distributed";

    public const string DefaultImage = "distributed:dev";

    public const string ConfigMountPath = "/etc/distributed";

    /// <summary>The key of the job's Secret that holds the job secret (the file DISTRIBUTED_SECRET_FILE names in every pod).</summary>
    public const string SecretKey = "secret";

    /// <summary>Where every pod mounts the job's Secret, as the base manifests say.</summary>
    public const string SecretMountPath = "/etc/job-secret";

    /// <summary>Set to the Secret's mount path in a TLS job's pods: the roles then take their certificates from there (see DistributedOptionsSet).</summary>
    public const string TlsDirectoryVariable = "DISTRIBUTED_TLS_DIR";

    public const string GpuResource = "nvidia.com/gpu";

    /// <summary>Where every pod mounts a job's checkpoint volume (submit --checkpoint-volume).</summary>
    public const string CheckpointMountPath = "/checkpoints";

    public static RenderedJob Base() => new(
        Load<V1ConfigMap>("configmap.yaml"),
        Load<V1Service>("coordinator-service.yaml"),
        Load<V1Service>("workers-service.yaml"),
        Load<V1Job>("coordinator-job.yaml"),
        Load<V1Job>("workers-job.yaml"));

    public static RenderedJob Render(ClusterJob job)
    {
        var rendered = Base();
        var names = new JobNames(job.Name);
        var all = rendered.All.ToList();
        foreach (var meta in all.Select(o => o.Metadata))
        {
            meta.Name = names.Renamed(meta.Name);
            meta.NamespaceProperty = job.Namespace;
            SetInstance(meta.Labels, job.Name);
        }

        var config = rendered.Config;
        config.Data["WORLD_SIZE"] = job.Workers.ToString(CultureInfo.InvariantCulture);
        config.Data["JOB_ID"] = job.Name;
        config.Data["COORDINATOR_ADDRESS"] = $"{names.Coordinator}:{config.Data["COORDINATOR_PORT"]}";
        config.Data["train.rsp"] = ResponseFile.Format(job.TrainFlags);
        config.Data["coordinator.rsp"] = ResponseFile.Format(job.CoordinatorFlags, ResponseFile.CoordinatorHeader);

        foreach (var service in new[] { rendered.CoordinatorService, rendered.WorkersService })
        {
            SetInstance(service.Spec.Selector, job.Name);
        }

        rendered.WorkersJob.Spec.Completions = job.Workers;
        rendered.WorkersJob.Spec.Parallelism = job.Workers;
        rendered.WorkersJob.Spec.Template.Spec.Subdomain = names.Workers;
        Fill(rendered.CoordinatorJob, job.Image, job.CoordinatorResources, names, job.Name);
        Fill(rendered.WorkersJob, job.EffectiveWorkerImage, job.WorkerResources, names, job.Name);
        if (job.Tls)
        {
            foreach (var podJob in new[] { rendered.CoordinatorJob, rendered.WorkersJob })
            {
                UseTls(podJob.Spec.Template.Spec.Containers.Single());
            }
        }

        if (job.CheckpointClaim is { } claim)
        {
            // The coordinator writes the manifests, each worker its shards: every pod sees the same volume at the same path.
            foreach (var pod in new[] { rendered.CoordinatorJob, rendered.WorkersJob }.Select(j => j.Spec.Template.Spec))
            {
                pod.Volumes.Add(new V1Volume { Name = "checkpoints", PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim } });
                pod.Containers.Single().VolumeMounts.Add(new V1VolumeMount { Name = "checkpoints", MountPath = CheckpointMountPath });
            }
        }

        if (job.MaxRestarts > 0)
        {
            // A restart ends every worker pod (exit 1) and the Job controller starts each index again; the base's
            // backoffLimit 0 would fail the Job at the first, so each index may fail once per restart instead.
            rendered.WorkersJob.Spec.BackoffLimit = null;
            rendered.WorkersJob.Spec.BackoffLimitPerIndex = job.MaxRestarts;
        }

        if (job.GpusPerWorker > 0)
        {
            var pod = rendered.WorkersJob.Spec.Template.Spec;
            pod.Containers[0].Resources.Limits[GpuResource] = new ResourceQuantity(job.GpusPerWorker.ToString(CultureInfo.InvariantCulture));
            pod.Tolerations = [new V1Toleration { Key = GpuResource, OperatorProperty = "Exists", Effect = "NoSchedule" }];
        }

        return rendered;
    }

    /// <summary>
    /// The job's Secret, which every pod mounts (see the base manifests): <paramref name="files"/> by key, such as the
    /// job secret under <see cref="SecretKey"/>. It is never part of a <see cref="RenderedJob"/>, so a dry run, which
    /// prints one, shows where the Secret is mounted and never what it holds.
    /// </summary>
    public static V1Secret Secret(ClusterJob job, IReadOnlyDictionary<string, string> files) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = new V1ObjectMeta
        {
            Name = new JobNames(job.Name).Secret,
            NamespaceProperty = job.Namespace,
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = BaseName, [JobNames.InstanceLabel] = job.Name },
        },
        StringData = files.ToDictionary(),
    };

    /// <summary>
    /// Points a role at the certificates in the mounted Secret. The kubelet's gRPC probes speak cleartext only, so
    /// they become TCP probes of the same port; the health service stays open to a TLS client without a certificate.
    /// </summary>
    private static void UseTls(V1Container container)
    {
        container.Env.Add(new V1EnvVar { Name = TlsDirectoryVariable, Value = SecretMountPath });
        foreach (var probe in new[] { container.StartupProbe, container.ReadinessProbe, container.LivenessProbe })
        {
            probe.TcpSocket = new V1TCPSocketAction { Port = probe.Grpc!.Port };
            probe.Grpc = null;
        }
    }

    private static void Fill(V1Job job, string image, Resources resources, JobNames names, string instance)
    {
        SetInstance(job.Spec.Template.Metadata.Labels, instance);
        var pod = job.Spec.Template.Spec;
        var container = pod.Containers.Single();
        container.Image = image;
        container.Resources.Requests = Quantities(resources);
        container.Resources.Limits = Quantities(resources);
        foreach (var env in container.Env)
        {
            if (env.ValueFrom?.ConfigMapKeyRef is { } reference)
            {
                reference.Name = names.Renamed(reference.Name);
            }
        }

        foreach (var volume in pod.Volumes)
        {
            if (volume.ConfigMap is { } configMap)
            {
                configMap.Name = names.Renamed(configMap.Name);
            }

            if (volume.Secret is { } secret)
            {
                secret.SecretName = names.Renamed(secret.SecretName);
            }
        }
    }

    private static Dictionary<string, ResourceQuantity> Quantities(Resources resources) => new()
    {
        ["cpu"] = new ResourceQuantity(resources.Cpu),
        ["memory"] = new ResourceQuantity(resources.Memory),
    };

    private static void SetInstance(IDictionary<string, string>? labels, string instance)
    {
        if (labels is not null && labels.ContainsKey(JobNames.InstanceLabel))
        {
            labels[JobNames.InstanceLabel] = instance;
        }
    }

    private static T Load<T>(string file)
    {
        using var stream = typeof(Manifests).Assembly.GetManifestResourceStream($"base/{file}")
            ?? throw new InvalidOperationException($"deploy/k8s/base/{file} is not embedded in {typeof(Manifests).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return KubernetesYaml.Deserialize<T>(reader.ReadToEnd(), strict: true);
    }
}

/// <summary>The objects of one job, in the order they are created.</summary>
public sealed record RenderedJob(V1ConfigMap Config, V1Service CoordinatorService, V1Service WorkersService, V1Job CoordinatorJob, V1Job WorkersJob)
{
    public IEnumerable<IKubernetesObject<V1ObjectMeta>> All => [Config, CoordinatorService, WorkersService, CoordinatorJob, WorkersJob];

    /// <summary>Multi-document YAML, as `kubectl apply -f -` takes it.</summary>
    public string ToYaml() => string.Join("---\n", All.Select(o => KubernetesYaml.Serialize(o).TrimEnd('\n') + "\n"));
}

/// <summary>The names of a job's objects, all derived from the job name, and the labels that select them.</summary>
public sealed record JobNames(string Job)
{
    public const string InstanceLabel = "app.kubernetes.io/instance";

    public const string ComponentLabel = "app.kubernetes.io/component";

    /// <summary>The annotation (and, from Kubernetes 1.28, label) that carries a worker pod's rank.</summary>
    public const string CompletionIndexAnnotation = "batch.kubernetes.io/job-completion-index";

    public string Config => $"{Job}-config";

    public string Coordinator => $"{Job}-coordinator";

    public string Workers => $"{Job}-workers";

    /// <summary>The job's Secret, made by `submit` and owned by the coordinator Job.</summary>
    public string Secret => $"{Job}-secret";

    public string PodSelector(string component) => $"{InstanceLabel}={Job},{ComponentLabel}={component}";

    /// <summary>A checked-in object's name (distributed-X) for this job (JOB-X).</summary>
    internal string Renamed(string baseName) =>
        baseName.StartsWith(Manifests.BaseName + "-", StringComparison.Ordinal)
            ? Job + baseName[Manifests.BaseName.Length..]
            : throw new InvalidOperationException($"'{baseName}' in deploy/k8s/base does not start with '{Manifests.BaseName}-'");
}
