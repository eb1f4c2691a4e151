using System.CommandLine;
using System.Globalization;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// Flags of a distributed run, and of the two roles run alone (`coordinator`, `worker`). Role flags fall back to
/// the environment variables Kubernetes and torchrun-style launchers set: RANK (or JOB_COMPLETION_INDEX),
/// WORLD_SIZE, COORDINATOR_ADDRESS, COORDINATOR_PORT, JOB_ID, POD_IP.
/// </summary>
internal sealed class DistributedOptionsSet
{
    public Option<int> Workers { get; } = new("--workers") { Description = "worker processes (train: 0 trains in this process; coordinator: the world size, env WORLD_SIZE)", DefaultValueFactory = _ => EnvInt("WORLD_SIZE", 0) };

    public Option<int> Zero { get; } = new("--zero") { Description = "ZeRO stage: 0 all-reduce, 1 shard optimizer state, 2 also shard gradients", DefaultValueFactory = _ => 0 };

    public Option<double> BucketMb { get; } = new("--bucket-mb") { Description = "gradient bucket size in MB (reduced while backward continues)", DefaultValueFactory = _ => 4.0 };

    public Option<int> ChunkKb { get; } = new("--chunk-kb") { Description = "ring chunk size in KB (several in flight per link)", DefaultValueFactory = _ => 256 };

    public Option<double> PeerTimeout { get; } = new("--peer-timeout") { Description = "seconds a rank may stay silent before the job fails", DefaultValueFactory = _ => 30.0 };

    public Option<double> JoinTimeout { get; } = new("--join-timeout") { Description = "seconds to wait for all workers to join", DefaultValueFactory = _ => 300.0 };

    public Option<string?> Save { get; } = new("--save") { Description = "write the final parameters to this file (rank 0 in a distributed run)" };

    public Option<string> JobId { get; } = new("--job-id") { Description = "job name workers must present (env JOB_ID)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("JOB_ID") ?? "local" };

    public Option<string?> CoordinatorAddress { get; } = new("--coordinator") { Description = "worker: host:port of the coordinator (env COORDINATOR_ADDRESS)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("COORDINATOR_ADDRESS") };

    public Option<int> Rank { get; } = new("--rank") { Description = "worker: the rank to take, -1 for any (env RANK or JOB_COMPLETION_INDEX)", DefaultValueFactory = _ => EnvInt("RANK", EnvInt("JOB_COMPLETION_INDEX", -1)) };

    public Option<string> Host { get; } = new("--host") { Description = "interface to listen on", DefaultValueFactory = _ => "0.0.0.0" };

    public Option<int> Port { get; } = new("--port") { Description = "port to listen on (0: any free port; coordinator default env COORDINATOR_PORT or 29500)", DefaultValueFactory = _ => EnvInt("COORDINATOR_PORT", -1) };

    public Option<string?> Advertise { get; } = new("--advertise") { Description = "worker: host:port its peers dial (default: env POD_IP or the host name, and the bound port)" };

    /// <summary>The flags a launched worker inherits from `train`.</summary>
    public IEnumerable<Option> Inherited => [Zero, BucketMb, ChunkKb, PeerTimeout, Save];

    public IEnumerable<Option> ForTrain => [Workers, Zero, BucketMb, ChunkKb, PeerTimeout, JoinTimeout, Save];

    public IEnumerable<Option> ForCoordinator => [Workers, Zero, BucketMb, ChunkKb, PeerTimeout, JoinTimeout, JobId, Host, Port];

    public IEnumerable<Option> ForWorker => [Zero, BucketMb, ChunkKb, PeerTimeout, JoinTimeout, Save, JobId, CoordinatorAddress, Rank, Host, Port, Advertise];

    private static int EnvInt(string name, int fallback)
    {
        var text = Environment.GetEnvironmentVariable(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"environment variable {name}='{text}' is not an integer");
    }
}
