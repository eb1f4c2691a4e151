using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Compute.Cpu;
using Distributed.Worker;
using Distributed.Worker.Security;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// Where a process stands in a distributed job: how many workers, which job, which rank, where to listen and where
/// the coordinator is. A role flag that is not given falls back to the environment variables Kubernetes and
/// torchrun-style launchers set (WORLD_SIZE, JOB_ID, RANK or JOB_COMPLETION_INDEX, COORDINATOR_ADDRESS,
/// COORDINATOR_PORT, POD_IP, DISTRIBUTED_SECRET_FILE); a malformed value, from either, is one line naming where it came from.
/// </summary>
internal sealed class DistributedOptionsSet
{
    public const int DefaultCoordinatorPort = 29500;

    public Option<int> Workers { get; } = new("--workers") { Description = "worker processes (train: 0 trains in this process; coordinator: the world size, env WORLD_SIZE)" };

    public Option<string> JobId { get; } = new("--job-id") { Description = "job name workers must present (env JOB_ID; default 'local')" };

    public Option<string> CoordinatorAddress { get; } = new("--coordinator") { Description = "worker: host:port of the coordinator (env COORDINATOR_ADDRESS)" };

    public Option<int> Rank { get; } = new("--rank") { Description = "worker: the rank to take, -1 for any (env RANK or JOB_COMPLETION_INDEX)" };

    public Option<string> Host { get; } = new("--host") { Description = "interface to listen on (default: env POD_IP, else 127.0.0.1; 0.0.0.0 for every interface)" };

    public Option<int> Port { get; } = new("--port") { Description = $"port to listen on, 0 for any free one (coordinator: env COORDINATOR_PORT, else {DefaultCoordinatorPort}; worker: 0)" };

    public Option<string> Advertise { get; } = new("--advertise") { Description = "worker: host or host:port its peers dial (default: env POD_IP or the host name, and the bound port)" };

    public Option<string> SecretFile { get; } = new("--secret-file") { Description = $"file holding the job's secret, {2 * JobSecret.Bytes} hex digits (env {JobSecret.FileVariable}); the secret itself never goes on a command line" };

    public Option<bool> Tls { get; } = new("--tls") { Description = $"mutual TLS between the job's processes, under the job's own CA (train --workers: certificates made in memory; coordinator, worker: on also when env {JobTls.DirectoryVariable} names a directory with {JobTls.CaFile}, {JobTls.CertificateFile}, {JobTls.KeyFile})" };

    public Option<string> CpuBind { get; } = new("--cpu-bind") { Description = "with --workers: auto binds each local worker to its own CPUs (threads per worker each) when they fit, as Open MPI binds ranks, and its shared-memory receives poll up to 10 ms before sleeping; none leaves placement to the scheduler", DefaultValueFactory = _ => CpuPlacement.Auto };

    public Option<string> Cpus { get; } = new("--cpus") { Description = "worker: bind this process's threads to these CPUs, e.g. 0 or 2-3 (the local launcher sets it under --cpu-bind auto)" };

    public IEnumerable<Option> ForCoordinator => [Workers, JobId, Host, Port, SecretFile, Tls];

    public IEnumerable<Option> ForWorker => [JobId, CoordinatorAddress, Rank, Host, Port, Advertise, SecretFile, Tls, Cpus];

    public string CpuBindMode(ParseResult r) => Limits.OneOf(r.GetValue(CpuBind)!, CpuPlacement.Modes, CpuBind.Name);

    /// <summary>The CPUs a worker was told to bind to, or null.</summary>
    public IReadOnlyList<int>? WorkerCpus(ParseResult r) => r.GetValue(Cpus) is { } text
        ? CpuAffinity.Parse(text) ?? throw new UsageException($"--cpus '{text}' is not a CPU list such as 0 or 0-3,6")
        : null;

    /// <summary>The world size a coordinator waits for.</summary>
    public int WorldSize(ParseResult r) => Limits.WorldSize(Int(r, Workers, "WORLD_SIZE") ?? 0);

    public string Job(ParseResult r) => Text(r, JobId, "JOB_ID") ?? "local";

    public int WorkerRank(ParseResult r)
    {
        var rank = Int(r, Rank, "RANK") ?? Int(r, Rank, "JOB_COMPLETION_INDEX") ?? -1;
        return rank >= -1 ? rank : throw new UsageException($"the rank must be -1 (any) or a rank of the job, got {rank}");
    }

    public int CoordinatorPort(ParseResult r) => Limits.Port(Int(r, Port, "COORDINATOR_PORT") ?? DefaultCoordinatorPort, Given(r, Port) ? "--port" : "COORDINATOR_PORT");

    public int WorkerPort(ParseResult r) => Limits.Port(Given(r, Port) ? r.GetValue(Port) : 0, "--port");

    /// <summary>The coordinator's host:port, checked for shape here so a typo is not a retry loop later.</summary>
    public string Coordinator(ParseResult r)
    {
        var source = Given(r, CoordinatorAddress) ? "--coordinator" : "COORDINATOR_ADDRESS";
        var address = Text(r, CoordinatorAddress, "COORDINATOR_ADDRESS") ?? throw new UsageException("worker needs --coordinator host:port (or COORDINATOR_ADDRESS)");
        return PeerAddress.IsDialable(address) ? address : throw new UsageException($"{source} '{address}' is not host:port");
    }

    public string? Advertised(ParseResult r) => Text(r, Advertise, "POD_IP");

    /// <summary>
    /// Where to listen: what the role needs and no more. A pod's own address (POD_IP) on Kubernetes, the loopback
    /// interface on one machine; every interface only when asked for.
    /// </summary>
    public string ListenHost(ParseResult r) => Text(r, Host, "POD_IP") ?? "127.0.0.1";

    /// <summary>
    /// The job's certificates, when this role uses TLS (--tls, or DISTRIBUTED_TLS_DIR set as `submit` sets it): from
    /// the directory DISTRIBUTED_TLS_DIR names (a mounted Kubernetes Secret), else DISTRIBUTED_TLS (set by the local launcher).
    /// </summary>
    public JobTls? Certificates(ParseResult r, string role)
    {
        var directory = Environment.GetEnvironmentVariable(JobTls.DirectoryVariable) is { Length: > 0 } d ? d : null;
        if (!r.GetValue(Tls) && directory is null)
        {
            return null;
        }

        try
        {
            if (directory is not null)
            {
                return JobTls.ReadDirectory(directory, JobTls.DirectoryVariable);
            }

            return Environment.GetEnvironmentVariable(JobTls.BundleVariable) is { Length: > 0 } bundle
                ? JobTls.FromBundle(bundle, JobTls.BundleVariable)
                : throw new UsageException($"{role} --tls needs the job's certificates: {JobTls.DirectoryVariable} naming a directory with {JobTls.CaFile}, {JobTls.CertificateFile} and {JobTls.KeyFile}");
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    /// <summary>
    /// The job's secret: from --secret-file, else the file named by DISTRIBUTED_SECRET_FILE (a mounted Kubernetes
    /// Secret), else DISTRIBUTED_SECRET (set by the local launcher). A process without one cannot take part.
    /// </summary>
    public JobSecret Secret(ParseResult r, string role)
    {
        try
        {
            if (Text(r, SecretFile, JobSecret.FileVariable) is { } path)
            {
                return JobSecret.ReadFile(path, Given(r, SecretFile) ? "--secret-file" : JobSecret.FileVariable);
            }

            return Environment.GetEnvironmentVariable(JobSecret.Variable) is { Length: > 0 } text
                ? JobSecret.Parse(text, JobSecret.Variable)
                : throw new UsageException($"{role} needs the job's secret: --secret-file PATH (or {JobSecret.FileVariable}) naming a file of {2 * JobSecret.Bytes} hex digits");
        }
        catch (FormatException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static bool Given(ParseResult r, Option option) => r.GetResult(option) is OptionResult { Implicit: false };

    private static string? Text(ParseResult r, Option<string> option, string variable) =>
        Given(r, option) ? r.GetValue(option) : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text ? text : null;

    private static int? Int(ParseResult r, Option<int> option, string variable)
    {
        if (Given(r, option))
        {
            return r.GetValue(option);
        }

        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new UsageException($"environment variable {variable}='{text}' is not an integer");
    }
}
