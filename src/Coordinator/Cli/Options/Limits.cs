using Distributed.Core.Compute;
using Distributed.Worker;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// The bounds and checks several commands share, each written once: how many local processes and threads a
/// machine can host, ring chunk sizes, timeouts, ports, device names. Each failure is a one-line
/// <see cref="UsageException"/> that names the flag, the value and the bound.
/// </summary>
internal static class Limits
{
    /// <summary>A local job runs one process per worker; beyond four per core they only take turns.</summary>
    public const int ProcessesPerCore = 4;

    /// <summary>The most ranks one gRPC ring is meant for; a larger job wants a hierarchy the ring does not have.</summary>
    public const int MaxWorldSize = 1024;

    public const int MaxChunkKb = 4096;

    public const double MaxSeconds = 86_400;

    public static int MaxLocalProcesses => Math.Min(64, ProcessesPerCore * Environment.ProcessorCount);

    /// <summary>Worker processes a local job may start on this machine.</summary>
    public static int LocalWorkers(int workers, string flag = "--workers") =>
        workers >= 1 && workers <= MaxLocalProcesses
            ? workers
            : throw new UsageException($"{flag} must be between 1 and {MaxLocalProcesses} for a job on this machine ({ProcessesPerCore} processes per core, {Environment.ProcessorCount} cores), got {workers}; run more with `submit`");

    public static int WorldSize(int workers) =>
        workers >= 1 && workers <= MaxWorldSize ? workers : throw new UsageException($"--workers (WORLD_SIZE) must be between 1 and {MaxWorldSize}, got {workers}");

    /// <summary>CPU threads for one process; 0 means all cores. Threads beyond a few per core only spin against each other.</summary>
    public static int Threads(int threads, string flag = "--threads")
    {
        var max = ProcessesPerCore * Environment.ProcessorCount;
        return threads >= 0 && threads <= max
            ? threads
            : throw new UsageException($"{flag} must be between 0 (all cores) and {max} ({ProcessesPerCore} per core, {Environment.ProcessorCount} cores), got {threads}");
    }

    /// <summary>The ring chunk size in floats.</summary>
    public static int ChunkFloats(int chunkKb) =>
        chunkKb is >= 1 and <= MaxChunkKb ? chunkKb * 1024 / sizeof(float) : throw new UsageException($"--chunk-kb must be between 1 and {MaxChunkKb}, got {chunkKb}");

    public static TimeSpan Seconds(double value, string flag) =>
        value > 0 && value <= MaxSeconds ? TimeSpan.FromSeconds(value) : throw new UsageException($"{flag} must be above 0 and at most {MaxSeconds} seconds, got {value}");

    /// <summary>A port to listen on: 0 picks a free one.</summary>
    public static int Port(int port, string source) =>
        port is >= 0 and <= 65535 ? port : throw new UsageException($"{source} must be a port between 0 and 65535, got {port}");

    public static RingTransportKind Transport(string transport) => transport switch
    {
        "auto" => RingTransportKind.Auto,
        "grpc" => RingTransportKind.Grpc,
        "shm" => RingTransportKind.Shm,
        _ => throw new UsageException($"unknown transport '{transport}' (expected auto, grpc or shm)"),
    };

    public static string Device(string device) =>
        ComputeDevices.Names.Contains(device) ? device : throw new UsageException($"unknown device '{device}' (expected one of: {string.Join(", ", ComputeDevices.Names)})");

    /// <summary>A flag whose value must be one of a few words.</summary>
    public static string OneOf(string value, IReadOnlyList<string> choices, string flag) =>
        choices.Contains(value) ? value : throw new UsageException($"unknown {flag} '{value}' (expected {string.Join(" or ", choices)})");
}
