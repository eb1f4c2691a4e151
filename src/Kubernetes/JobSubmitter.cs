using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace Distributed.Kubernetes;

/// <summary>
/// Creates, inspects and deletes a rendered job through the Kubernetes API. Every object a submitted job has is
/// owned by its coordinator Job, so the coordinator's ttlSecondsAfterFinished, or deleting it, removes the lot.
/// </summary>
public sealed class JobSubmitter(ClusterConnection cluster)
{
    private IKubernetes Client => cluster.Client;

    private string Namespace => cluster.Namespace;

    /// <summary>
    /// The coordinator Job is created suspended, so its pod cannot start before the Secret and ConfigMap it reads
    /// exist; the other objects are then created owned by it, and it is resumed. When any step fails, the coordinator
    /// Job is deleted again, taking whatever was already created with it: a job is submitted whole or not at all.
    /// </summary>
    /// <param name="secret">the job's Secret (<see cref="Manifests.Secret"/>), which goes with the coordinator Job.</param>
    public async Task<V1Job> SubmitAsync(RenderedJob job, V1Secret secret, TextWriter log, CancellationToken cancel)
    {
        var coordinatorJob = job.CoordinatorJob;
        coordinatorJob.Spec.Suspend = true;
        var created = await Call(() => Client.BatchV1.CreateNamespacedJobAsync(coordinatorJob, Namespace, cancellationToken: cancel), $"create job {coordinatorJob.Name()}").ConfigureAwait(false);
        log.WriteLine($"job.batch/{created.Name()} created (suspended until the rest exists)");
        try
        {
            var owner = new V1OwnerReference { ApiVersion = "batch/v1", Kind = "Job", Name = created.Name(), Uid = created.Uid() };
            foreach (var dependent in new IKubernetesObject<V1ObjectMeta>[] { secret, job.Config, job.CoordinatorService, job.WorkersService, job.WorkersJob })
            {
                dependent.Metadata.OwnerReferences = [owner];
            }

            await Call(() => Client.CoreV1.CreateNamespacedSecretAsync(secret, Namespace, cancellationToken: cancel), $"create secret {secret.Name()}").ConfigureAwait(false);
            log.WriteLine($"secret/{secret.Name()} created");

            await Call(() => Client.CoreV1.CreateNamespacedConfigMapAsync(job.Config, Namespace, cancellationToken: cancel), $"create configmap {job.Config.Name()}").ConfigureAwait(false);
            log.WriteLine($"configmap/{job.Config.Name()} created");
            foreach (var service in new[] { job.CoordinatorService, job.WorkersService })
            {
                await Call(() => Client.CoreV1.CreateNamespacedServiceAsync(service, Namespace, cancellationToken: cancel), $"create service {service.Name()}").ConfigureAwait(false);
                log.WriteLine($"service/{service.Name()} created");
            }

            await Call(() => Client.BatchV1.CreateNamespacedJobAsync(job.WorkersJob, Namespace, cancellationToken: cancel), $"create job {job.WorkersJob.Name()}").ConfigureAwait(false);
            log.WriteLine($"job.batch/{job.WorkersJob.Name()} created");
            var resume = new V1Patch("""{"spec":{"suspend":false}}""", V1Patch.PatchType.MergePatch);
            var resumed = await Call(() => Client.BatchV1.PatchNamespacedJobAsync(resume, created.Name(), Namespace, cancellationToken: cancel), $"resume job {created.Name()}").ConfigureAwait(false);
            log.WriteLine($"job.batch/{created.Name()} resumed");
            return resumed;
        }
        catch
        {
            await DeleteJobAsync(created.Name(), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Both Jobs (null where absent) and the job's pods, coordinator first, workers by rank.</summary>
    public async Task<JobState> ReadAsync(string name, CancellationToken cancel)
    {
        var names = new JobNames(name);
        var coordinator = await Find(() => Client.BatchV1.ReadNamespacedJobAsync(names.Coordinator, Namespace, cancellationToken: cancel), $"read job {names.Coordinator}").ConfigureAwait(false);
        var workers = await Find(() => Client.BatchV1.ReadNamespacedJobAsync(names.Workers, Namespace, cancellationToken: cancel), $"read job {names.Workers}").ConfigureAwait(false);
        var pods = await Call(() => Client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: $"{JobNames.InstanceLabel}={name}", cancellationToken: cancel), $"list pods of {name}").ConfigureAwait(false);
        var ordered = pods.Items
            .OrderBy(p => p.GetLabel(JobNames.ComponentLabel) == "coordinator" ? -1 : Rank(p) ?? int.MaxValue)
            .ThenBy(p => p.Metadata.CreationTimestamp)
            .ToList();
        return new JobState(name, Namespace, coordinator, workers, ordered);
    }

    /// <summary>The newest pod of the coordinator (rank null) or of one worker.</summary>
    public async Task<V1Pod?> FindPodAsync(string name, int? rank, CancellationToken cancel)
    {
        var names = new JobNames(name);
        var selector = names.PodSelector(rank is null ? "coordinator" : "worker");
        var pods = await Call(() => Client.CoreV1.ListNamespacedPodAsync(Namespace, labelSelector: selector, cancellationToken: cancel), $"list pods of {name}").ConfigureAwait(false);
        return pods.Items
            .Where(p => rank is null || Rank(p) == rank)
            .OrderByDescending(p => p.Metadata.CreationTimestamp)
            .FirstOrDefault();
    }

    /// <summary>Copies a pod's log to <paramref name="output"/>, to its end or, with <paramref name="follow"/>, until the container exits.</summary>
    public async Task CopyLogAsync(V1Pod pod, bool follow, TextWriter output, CancellationToken cancel)
    {
        var container = pod.Spec.Containers[0].Name;
        using var stream = await Call(() => Client.CoreV1.ReadNamespacedPodLogAsync(pod.Name(), Namespace, container, follow: follow, cancellationToken: cancel), $"read the log of pod {pod.Name()}").ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(cancel).ConfigureAwait(false) is { } line)
        {
            output.WriteLine(line);
        }
    }

    /// <summary>Deletes every object of the job, pods included; returns what existed.</summary>
    public async Task<IReadOnlyList<string>> DeleteAsync(string name, CancellationToken cancel)
    {
        var names = new JobNames(name);
        var deleted = new List<string>();
        if (await DeleteJobAsync(names.Coordinator, cancel).ConfigureAwait(false))
        {
            deleted.Add($"job.batch/{names.Coordinator}");
        }

        if (await DeleteJobAsync(names.Workers, cancel).ConfigureAwait(false))
        {
            deleted.Add($"job.batch/{names.Workers}");
        }

        foreach (var service in new[] { names.Coordinator, names.Workers })
        {
            if (await Gone(() => Client.CoreV1.DeleteNamespacedServiceAsync(service, Namespace, cancellationToken: cancel), $"delete service {service}").ConfigureAwait(false))
            {
                deleted.Add($"service/{service}");
            }
        }

        if (await Gone(() => Client.CoreV1.DeleteNamespacedConfigMapAsync(names.Config, Namespace, cancellationToken: cancel), $"delete configmap {names.Config}").ConfigureAwait(false))
        {
            deleted.Add($"configmap/{names.Config}");
        }

        if (await Gone(() => Client.CoreV1.DeleteNamespacedSecretAsync(names.Secret, Namespace, cancellationToken: cancel), $"delete secret {names.Secret}").ConfigureAwait(false))
        {
            deleted.Add($"secret/{names.Secret}");
        }

        return deleted;
    }

    internal static int? Rank(V1Pod pod) =>
        pod.GetAnnotation(JobNames.CompletionIndexAnnotation) is { } index && int.TryParse(index, out var rank) ? rank : null;

    /// <summary>The API deletes a Job's pods only when asked to propagate; its default for Jobs is to orphan them.</summary>
    private Task<bool> DeleteJobAsync(string job, CancellationToken cancel) =>
        Gone(() => Client.BatchV1.DeleteNamespacedJobAsync(job, Namespace, propagationPolicy: "Background", cancellationToken: cancel), $"delete job {job}");

    private async Task<bool> Gone<T>(Func<Task<T>> call, string what)
        where T : class =>
        await Find(call, what).ConfigureAwait(false) is not null;

    private async Task<T?> Find<T>(Func<Task<T>> call, string what)
        where T : class
    {
        try
        {
            return await Call(call, what).ConfigureAwait(false);
        }
        catch (ClusterException ex) when (ex.InnerException is HttpOperationException { Response.StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    private async Task<T> Call<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (HttpOperationException ex)
        {
            throw new ClusterException($"could not {what} in namespace '{Namespace}': {Reason(ex)}", ex);
        }
        catch (HttpRequestException ex)
        {
            throw new ClusterException($"could not {what}: cannot reach the cluster at {cluster.Server} ({ex.Message})", ex);
        }
    }

    /// <summary>The API server's own sentence from its Status body (such as `jobs.batch "x" already exists`), else the HTTP status.</summary>
    private static string Reason(HttpOperationException ex)
    {
        try
        {
            using var status = JsonDocument.Parse(ex.Response.Content ?? "");
            if (status.RootElement.TryGetProperty("message", out var message) && message.GetString() is { Length: > 0 } text)
            {
                return text;
            }
        }
        catch (JsonException)
        {
            // Not a Status object; fall back to the HTTP status.
        }

        return $"HTTP {(int)ex.Response.StatusCode} {ex.Response.StatusCode}";
    }
}
