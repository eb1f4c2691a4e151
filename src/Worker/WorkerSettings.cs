namespace Distributed.Worker;

/// <summary>How one worker finds its coordinator and where it listens for its left neighbour.</summary>
public sealed record WorkerSettings
{
    /// <summary>host:port (or a URL) of the coordinator.</summary>
    public required string CoordinatorAddress { get; init; }

    public required string JobId { get; init; }

    /// <summary>The job's secret, which this worker's calls prove and its left neighbour's must.</summary>
    public required Security.JobSecret Secret { get; init; }

    /// <summary>The job's certificates when it uses mutual TLS (`--tls`); null: cleartext HTTP/2.</summary>
    public Security.JobTls? Tls { get; init; }

    /// <summary>The canonical job configuration; the coordinator refuses a worker whose configuration differs.</summary>
    public required string Config { get; init; }

    /// <summary>The rank to take (Kubernetes' completion index), or −1 for the next free one.</summary>
    public int RequestedRank { get; init; } = -1;

    /// <summary>Interface the Peer service listens on.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port of the Peer service; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>host or host:port the other workers use to reach this one (default: Host, or the machine name when Host is a wildcard, and the bound port).</summary>
    public string? Advertise { get; init; }

    public required TimeSpan JoinTimeout { get; init; }

    /// <summary>How long any wait on a peer may last before the job is failed.</summary>
    public required TimeSpan PeerTimeout { get; init; }

    public int ChunkFloats { get; init; } = Core.Collectives.RingCollectives.DefaultChunkFloats;

    /// <summary>How ring links may travel: shared memory where the neighbour shares this host, else gRPC (auto); gRPC only; shared memory only.</summary>
    public RingTransportKind Transport { get; init; } = RingTransportKind.Auto;

    /// <summary>Whether this process is bound to cores of its own, so a shared-memory receive may spin rather than sleep (<see cref="Core.Collectives.SharedMemory.SharedMemoryRing.OwnCoreSpin"/>).</summary>
    public bool OwnsCores { get; init; }
}

/// <summary>The `--transport` choices.</summary>
public enum RingTransportKind
{
    Auto,
    Grpc,
    Shm,
}
