using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Distributed.Kubernetes.Tests;

/// <summary>The real Kubernetes client, configured from a kubeconfig file, against <see cref="RecordingApiServer"/>.</summary>
public class JobSubmitterTests
{
    private const string Jobs = "/apis/batch/v1/namespaces/ml/jobs";

    [Fact]
    public async Task SubmitCreatesTheCoordinatorSuspendedThenEverythingOwnedByItThenResumesIt()
    {
        await using var server = await RecordingApiServer.StartAsync();
        using var cluster = ClusterConnection.Open(server.Kubeconfig, null, null);
        var rendered = Render(cluster.Namespace);
        var log = new StringWriter();

        await new JobSubmitter(cluster).SubmitAsync(rendered, Secret(cluster.Namespace), log, CancellationToken.None);

        Assert.Equal("ml", cluster.Namespace);
        Assert.Equal(
        [
            $"POST {Jobs}", "POST /api/v1/namespaces/ml/secrets", "POST /api/v1/namespaces/ml/configmaps", "POST /api/v1/namespaces/ml/services", "POST /api/v1/namespaces/ml/services",
            $"POST {Jobs}", $"PATCH {Jobs}/mnist-coordinator",
        ], server.Requests.Select(r => r.ToString()));
        Assert.All(server.Requests, r => Assert.Equal($"Bearer {RecordingApiServer.Token}", r.Authorization));
        var first = JsonNode.Parse(server.Requests[0].Body)!;
        Assert.Equal("mnist-coordinator", (string)first["metadata"]!["name"]!);
        Assert.True((bool)first["spec"]!["suspend"]!);
        Assert.Equal("application/merge-patch+json", server.Requests[^1].ContentType.Split(';')[0]);

        var coordinator = server.Get($"{Jobs}/mnist-coordinator")!;
        Assert.False((bool)coordinator["spec"]!["suspend"]!);
        var uid = (string)coordinator["metadata"]!["uid"]!;
        foreach (var path in new[] { "/api/v1/namespaces/ml/secrets/mnist-secret", "/api/v1/namespaces/ml/configmaps/mnist-config", "/api/v1/namespaces/ml/services/mnist-coordinator", "/api/v1/namespaces/ml/services/mnist-workers", $"{Jobs}/mnist-workers" })
        {
            var owner = Assert.Single(server.Get(path)!["metadata"]!["ownerReferences"]!.AsArray())!;
            Assert.Equal(("batch/v1", "Job", "mnist-coordinator", uid), ((string)owner["apiVersion"]!, (string)owner["kind"]!, (string)owner["name"]!, (string)owner["uid"]!));
        }

        var config = KubernetesJson.Deserialize<V1ConfigMap>(server.Get("/api/v1/namespaces/ml/configmaps/mnist-config")!.ToJsonString());
        Assert.Equal(rendered.Config.Data, config.Data);
        var workers = KubernetesJson.Deserialize<V1Job>(server.Get($"{Jobs}/mnist-workers")!.ToJsonString());
        Assert.Equal(3, workers.Spec.Parallelism);
        Assert.Contains("job.batch/mnist-coordinator resumed", log.ToString());
    }

    [Fact]
    public async Task SubmitThatFailsHalfwayDeletesWhatItCreated()
    {
        await using var server = await RecordingApiServer.StartAsync();
        server.Fail = r => r.Method == "POST" && r.Path.EndsWith("/services", StringComparison.Ordinal) ? (403, "Forbidden", "services is forbidden: User \"ci\" cannot create resource \"services\"") : null;
        using var cluster = ClusterConnection.Open(server.Kubeconfig, null, null);

        var ex = await Assert.ThrowsAsync<ClusterException>(() => new JobSubmitter(cluster).SubmitAsync(Render(cluster.Namespace), Secret(cluster.Namespace), TextWriter.Null, CancellationToken.None));

        Assert.Equal("could not create service mnist-coordinator in namespace 'ml': services is forbidden: User \"ci\" cannot create resource \"services\"", ex.Message);
        var delete = Assert.Single(server.Requests, r => r.Method == "DELETE");
        Assert.Equal($"{Jobs}/mnist-coordinator", delete.Path);
        Assert.Contains("propagationPolicy=Background", delete.Query);
        Assert.Null(server.Get($"{Jobs}/mnist-coordinator"));
    }

    [Fact]
    public async Task SubmittingANameInUseSaysSoAndTouchesNothing()
    {
        await using var server = await RecordingApiServer.StartAsync();
        using var cluster = ClusterConnection.Open(server.Kubeconfig, null, null);
        await new JobSubmitter(cluster).SubmitAsync(Render(cluster.Namespace), Secret(cluster.Namespace), TextWriter.Null, CancellationToken.None);
        var before = server.Requests.Count;

        var ex = await Assert.ThrowsAsync<ClusterException>(() => new JobSubmitter(cluster).SubmitAsync(Render(cluster.Namespace), Secret(cluster.Namespace), TextWriter.Null, CancellationToken.None));

        Assert.Contains("jobs \"mnist-coordinator\" already exists", ex.Message);
        Assert.Equal(before + 1, server.Requests.Count);
        Assert.Equal(6, server.Count);
    }

    [Fact]
    public async Task StatusShowsBothJobsAndEveryPodCoordinatorFirstThenByRank()
    {
        await using var server = await RecordingApiServer.StartAsync();
        using var cluster = ClusterConnection.Open(server.Kubeconfig, null, "team");
        var rendered = Render("team");
        rendered.CoordinatorJob.Status = new V1JobStatus { Active = 1 };
        rendered.WorkersJob.Status = new V1JobStatus { Active = 1, Failed = 1, Conditions = [new V1JobCondition { Type = "Failed", Status = "True", Reason = "BackoffLimitExceeded", Message = "Job has reached the specified backoff limit" }] };
        server.Put("team", "jobs", Json(rendered.CoordinatorJob));
        server.Put("team", "jobs", Json(rendered.WorkersJob));
        server.Put("team", "pods", Json(Pod("mnist-workers-1-abcde", "worker", rank: 1, "Failed", exitCode: 1)));
        server.Put("team", "pods", Json(Pod("mnist-coordinator-xyz12", "coordinator", rank: null, "Running")));
        server.Put("team", "pods", Json(Pod("mnist-workers-0-fghij", "worker", rank: 0, "Running")));
        server.Put("team", "pods", Json(Pod("other-workers-0-zzzzz", "worker", rank: 0, "Running", instance: "other")));

        var state = await new JobSubmitter(cluster).ReadAsync("mnist", CancellationToken.None);
        var output = new StringWriter();
        state.Write(output);

        Assert.Equal("Failed", state.Phase);
        Assert.Equal(["mnist-coordinator-xyz12", "mnist-workers-0-fghij", "mnist-workers-1-abcde"], state.Pods.Select(p => p.Name()));
        var lines = output.ToString().Split('\n');
        Assert.Equal("job mnist in namespace team: Failed", lines[0]);
        Assert.Contains("1 active, 0 succeeded, 1 failed of 3  failed: BackoffLimitExceeded: Job has reached the specified backoff limit", lines[2]);
        Assert.Matches(@"pod mnist-workers-1-abcde\s+rank 1\s+Failed \(exit 1\)", lines[5]);
    }

    [Theory]
    [InlineData(null, "coordinator says done\n")]
    [InlineData(1, "rank 1 says done\n")]
    public async Task LogsComeFromTheCoordinatorOrTheRanksPod(int? rank, string expected)
    {
        await using var server = await RecordingApiServer.StartAsync();
        using var cluster = ClusterConnection.Open(server.Kubeconfig, null, null);
        server.Put("ml", "pods", Json(Pod("mnist-coordinator-xyz12", "coordinator", rank: null, "Succeeded")));
        server.Put("ml", "pods", Json(Pod("mnist-workers-0-fghij", "worker", rank: 0, "Succeeded")));
        server.Put("ml", "pods", Json(Pod("mnist-workers-1-abcde", "worker", rank: 1, "Succeeded")));
        server.Logs["ml/mnist-coordinator-xyz12"] = "coordinator says done\n";
        server.Logs["ml/mnist-workers-0-fghij"] = "rank 0 says done\n";
        server.Logs["ml/mnist-workers-1-abcde"] = "rank 1 says done\n";
        var submitter = new JobSubmitter(cluster);

        var pod = await submitter.FindPodAsync("mnist", rank, CancellationToken.None);
        var output = new StringWriter();
        await submitter.CopyLogAsync(pod!, follow: false, output, CancellationToken.None);

        Assert.Equal(expected, output.ToString());
        Assert.Contains(server.Requests, r => r.Path.EndsWith("/log", StringComparison.Ordinal) && r.Query.Contains($"container={(rank is null ? "coordinator" : "worker")}"));
        Assert.Null(await submitter.FindPodAsync("mnist", 7, CancellationToken.None));
    }

    [Fact]
    public async Task DeleteRemovesEveryObjectAndAsksForThePodsToGoToo()
    {
        await using var server = await RecordingApiServer.StartAsync();
        using var cluster = ClusterConnection.Open(server.Kubeconfig, null, null);
        var submitter = new JobSubmitter(cluster);
        await submitter.SubmitAsync(Render(cluster.Namespace), Secret(cluster.Namespace), TextWriter.Null, CancellationToken.None);

        var deleted = await submitter.DeleteAsync("mnist", CancellationToken.None);

        Assert.Equal(["job.batch/mnist-coordinator", "job.batch/mnist-workers", "service/mnist-coordinator", "service/mnist-workers", "configmap/mnist-config", "secret/mnist-secret"], deleted);
        Assert.Equal(0, server.Count);
        Assert.All(server.Requests.Where(r => r.Method == "DELETE" && r.Path.StartsWith(Jobs, StringComparison.Ordinal)), r => Assert.Contains("propagationPolicy=Background", r.Query));
        Assert.Empty(await submitter.DeleteAsync("mnist", CancellationToken.None));
        Assert.Equal("NotFound", (await submitter.ReadAsync("mnist", CancellationToken.None)).Phase);
    }

    [Fact]
    public async Task UnreachableClusterIsOneLineNamingTheServer()
    {
        string kubeconfig;
        string server;
        await using (var stopped = await RecordingApiServer.StartAsync())
        {
            kubeconfig = Path.GetTempFileName();
            File.Copy(stopped.Kubeconfig, kubeconfig, overwrite: true);
            server = File.ReadAllLines(kubeconfig).Single(l => l.Contains("server:", StringComparison.Ordinal)).Split("server:")[1].Trim();
        }

        try
        {
            using var cluster = ClusterConnection.Open(kubeconfig, null, null);
            var ex = await Assert.ThrowsAsync<ClusterException>(() => new JobSubmitter(cluster).ReadAsync("mnist", CancellationToken.None));

            Assert.StartsWith($"could not read job mnist-coordinator: cannot reach the cluster at {server.TrimEnd('/')}", ex.Message.Replace(server + "/", server, StringComparison.Ordinal));
            Assert.DoesNotContain('\n', ex.Message);
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    [Fact]
    public void MissingKubeconfigSaysWhatToDo()
    {
        var ex = Assert.Throws<ClusterException>(() => ClusterConnection.Open("/nonexistent/kubeconfig", null, null));

        Assert.StartsWith("no usable cluster configuration", ex.Message);
        Assert.Contains("--kubeconfig", ex.Message);
    }

    private static RenderedJob Render(string ns) => Manifests.Render(Job(ns));

    private static V1Secret Secret(string ns) => Manifests.Secret(Job(ns), new Dictionary<string, string> { [Manifests.SecretKey] = "not a real secret" });

    private static ClusterJob Job(string ns) => new("mnist", 3, [new TrainFlag("--model", "cnn")]) { Namespace = ns };

    private static JsonObject Json(object obj) => JsonNode.Parse(KubernetesJson.Serialize(obj))!.AsObject();

    private static V1Pod Pod(string name, string component, int? rank, string phase, int? exitCode = null, string instance = "mnist") => new()
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name,
            Labels = new Dictionary<string, string> { [JobNames.InstanceLabel] = instance, [JobNames.ComponentLabel] = component },
            Annotations = rank is { } r ? new Dictionary<string, string> { [JobNames.CompletionIndexAnnotation] = $"{r}" } : null,
            CreationTimestamp = DateTime.UtcNow,
        },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = component, Image = "distributed:dev" }] },
        Status = new V1PodStatus
        {
            Phase = phase,
            ContainerStatuses = exitCode is { } code ? [new V1ContainerStatus { Name = component, Image = "distributed:dev", ImageID = "", Ready = false, RestartCount = 0, State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } }] : null,
        },
    };
}
