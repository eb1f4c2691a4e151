using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using k8s;
using k8s.Models;

namespace Distributed.Integration.Tests;

/// <summary>
/// The environment and arguments the rendered manifests give the coordinator and the workers are exactly what
/// their commands read: `submit --dry-run` renders a job, and each of its pods is started as a local process from
/// that pod's env list, args and mounted ConfigMap alone (see <see cref="LocalPod"/>).
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class KubernetesManifestTests
{
    /// <summary>What the commands read (DistributedOptionsSet, WorkerCommand): nothing more, nothing less.</summary>
    private static readonly string[] CoordinatorVariables = ["WORLD_SIZE", "COORDINATOR_PORT", "JOB_ID", "POD_IP", "DISTRIBUTED_SECRET_FILE", "DISTRIBUTED_TLS_DIR"];

    private static readonly string[] WorkerVariables = ["COORDINATOR_ADDRESS", "JOB_ID", "JOB_COMPLETION_INDEX", "POD_IP", "DISTRIBUTED_SECRET_FILE", "DISTRIBUTED_TLS_DIR", "DOTNET_TieredCompilation"];

    /// <summary>Role variables the test process might have inherited; a pod gets only what its manifest lists.</summary>
    private static readonly string[] RoleVariables = ["WORLD_SIZE", "RANK", "JOB_COMPLETION_INDEX", "COORDINATOR_ADDRESS", "COORDINATOR_PORT", "JOB_ID", "POD_IP", "DISTRIBUTED_SECRET_FILE", "DISTRIBUTED_SECRET", "DISTRIBUTED_TLS_DIR", "DISTRIBUTED_TLS"];

    [Fact]
    public async Task PodsStartedFromTheRenderedManifestsTrainTogether()
    {
        string[] train = ["--model", "linreg", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "200", "--batch-size", "4", "--zero", "2"];
        var (code, yaml, stderr) = await ProgramRun.RunAsync(["submit", "--dry-run", "--name", "k8s-env", "--workers", "2", .. train], TimeSpan.FromSeconds(60));
        Assert.True(code == 0, stderr);
        var objects = KubernetesYaml.LoadAllFromString(yaml, strict: true);

        // The dry run shows where the job's Secret is mounted, never a Secret itself; `submit` would make it.
        Assert.Empty(objects.OfType<V1Secret>());
        // As submit makes it: the job secret, and (TLS is on by default) the job's CA and certificate.
        var secretText = JobSecret.Create().ToText();
        var tls = JobTls.Create("k8s-env");
        var secrets = new Dictionary<string, Dictionary<string, string>> { ["k8s-env-secret"] = new(tls.ToPem()) { ["secret"] = secretText } };
        var coordinatorJob = Assert.Single(objects.OfType<V1Job>(), j => j.Spec.CompletionMode != "Indexed");
        var workersJob = Assert.Single(objects.OfType<V1Job>(), j => j.Spec.CompletionMode == "Indexed");
        Assert.Equal(2, workersJob.Spec.Parallelism);

        using var dir = new TempDirectory("k8s-env-");
        var scratch = dir.Path;
        LocalPod? coordinatorPod = null;
        var coordinator = new LocalPod(objects, coordinatorJob, null, scratch, port => coordinatorPod!.Ports[port], secrets);
        coordinatorPod = coordinator;
        var workers = Enumerable.Range(0, workersJob.Spec.Completions!.Value)
            .Select(i => new LocalPod(objects, workersJob, i, scratch, port => coordinator.Ports[port], secrets))
            .ToList();
        Assert.Equal(CoordinatorVariables.Order(), coordinator.Environment.Keys.Order());
        Assert.All(workers, w => Assert.Equal(WorkerVariables.Order(), w.Environment.Keys.Order()));
        Assert.Equal("k8s-env", coordinator.Environment["JOB_ID"]);

        using var coordinatorRun = new ProgramRun(coordinator.Arguments, coordinator.Environment.ToDictionary(), RoleVariables);
        var coordinatorPort = coordinator.Ports.Values.Single();
        await coordinatorRun.WaitForOutputAsync($"coordinator of job 'k8s-env' listening on 127.0.0.1:{coordinatorPort} (TLS) for 2 workers", TimeSpan.FromSeconds(60));
        await AssertServingAsync(coordinator, coordinatorRun);

        // A TLS client whose certificate another CA issued is refused, and told nothing more.
        using (var stranger = Tls(coordinatorPort, JobTls.Create("k8s-env").Certificate))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => new Protocol.Coordinator.CoordinatorClient(stranger).ChallengeAsync(new Protocol.ChallengeRequest()).ResponseAsync);
            Assert.Equal((StatusCode.Unauthenticated, "refused"), (refused.StatusCode, refused.Status.Detail));
        }

        // Rank 1 starts first and must still be rank 1: the rank comes from the completion index, not join order.
        using var rank1 = new ProgramRun(workers[1].Arguments, workers[1].Environment.ToDictionary(), RoleVariables);
        await AssertServingAsync(workers[1], rank1);
        using var rank0 = new ProgramRun(workers[0].Arguments, workers[0].Environment.ToDictionary(), RoleVariables);

        Assert.Equal(0, await coordinatorRun.WaitAsync(TimeSpan.FromSeconds(120)));
        Assert.Equal(0, await rank0.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await rank1.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"joined as rank 1 of 2; peer service at 127.0.0.1:{workers[1].Ports.Values.Single()}", rank1.Stdout);
        Assert.Contains($"joined as rank 0 of 2; peer service at 127.0.0.1:{workers[0].Ports.Values.Single()}", rank0.Stdout);
        Assert.Contains("all 2 ranks hold identical parameters", coordinatorRun.Stdout);
        var parameters = coordinatorRun.Stdout.Split('\n').Single(l => l.StartsWith("parameters:", StringComparison.Ordinal))["parameters:".Length..].Split(',').Select(double.Parse).ToArray();
        Assert.Equal(2.0, parameters[0], 2);
        Assert.Equal(0.0, parameters[1], 2);
        Assert.All(new[] { coordinatorRun, rank0, rank1 }, run => Assert.DoesNotContain(secretText, run.Stdout + run.Stderr, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Every probe of the pod, on the port it names, answers SERVING from the standard gRPC health service (retrying
    /// while the process starts). Under TLS the kubelet can only probe the port over TCP; the health service still
    /// answers a TLS client that has no certificate at all.
    /// </summary>
    private static async Task AssertServingAsync(LocalPod pod, ProgramRun run)
    {
        var probes = new[] { pod.Container.StartupProbe, pod.Container.ReadinessProbe, pod.Container.LivenessProbe };
        foreach (var probe in probes)
        {
            var probed = probe.Grpc?.Port ?? int.Parse(probe.TcpSocket.Port.Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(pod.Ports.TryGetValue(probed, out var port), $"probe port {probed} is not a container port");
            using var channel = probe.Grpc is null ? Tls(port, certificate: null) : GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var health = new Health.HealthClient(channel);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                try
                {
                    var reply = await health.CheckAsync(new HealthCheckRequest { Service = probe.Grpc?.Service ?? "" }, deadline: DateTime.UtcNow.AddSeconds(5));
                    Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
                    break;
                }
                catch (Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
                {
                    Assert.True(ProgramRun.IsAlive(run.Id), $"exited before its health service answered\nstdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
                    await Task.Delay(200);
                }
            }
        }
    }

    /// <summary>A TLS channel that presents <paramref name="certificate"/> (or none) and takes the server's certificate unchecked.</summary>
    private static GrpcChannel Tls(int port, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate) =>
        GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                SslOptions = new() { ClientCertificates = certificate is null ? null : [certificate], RemoteCertificateValidationCallback = (_, _, _, _) => true },
            },
        });
}
