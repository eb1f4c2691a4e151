using System.Text.RegularExpressions;
using k8s.Models;

namespace Distributed.Kubernetes;

/// <summary>
/// One training job on a cluster: what <see cref="Manifests.Render"/> fills into the checked-in manifests.
/// Validated on construction, so a bad name or quantity is an <see cref="ArgumentException"/> naming the value
/// before anything is rendered or sent.
/// </summary>
public sealed partial record ClusterJob
{
    /// <summary>The longest job name whose derived names (pod host names `NAME-workers-RANK`) stay DNS labels.</summary>
    public const int MaxNameLength = 40;

    public ClusterJob(string name, int workers, IReadOnlyList<TrainFlag> trainFlags)
    {
        if (name.Length > MaxNameLength || !DnsLabel().IsMatch(name))
        {
            throw new ArgumentException($"job name '{name}' must be at most {MaxNameLength} lowercase letters, digits and '-', starting with a letter and ending with a letter or digit", nameof(name));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 10_000);
        Name = name;
        Workers = workers;
        TrainFlags = trainFlags;
        _ = ResponseFile.Format(trainFlags);
    }

    public string Name { get; }

    public int Workers { get; }

    /// <summary>The training flags both roles read, in the order given.</summary>
    public IReadOnlyList<TrainFlag> TrainFlags { get; }

    /// <summary>The namespace, or null to leave it to whoever applies the manifests.</summary>
    public string? Namespace { get; init => field = value is null || DnsLabel().IsMatch(value) ? value : throw new ArgumentException($"namespace '{value}' is not a DNS label", nameof(Namespace)); }

    public string Image { get; init => field = ValidImage(value); } = Manifests.DefaultImage;

    /// <summary>The workers' image; null: <see cref="Image"/>, or its CUDA variant when <see cref="GpusPerWorker"/> is above 0.</summary>
    public string? WorkerImage { get; init => field = value is null ? null : ValidImage(value); }

    public int GpusPerWorker { get; init => field = value is >= 0 and <= 64 ? value : throw new ArgumentOutOfRangeException(nameof(GpusPerWorker), value, $"GPUs per worker must be between 0 and 64, got {value}"); }

    /// <summary>
    /// Both roles talk mutual TLS with the certificates in the job's Secret (see <see cref="Manifests.Render"/>); off
    /// in the checked-in manifests, which cannot hold a job's own CA, and on by default for `submit`.
    /// </summary>
    public bool Tls { get; init; }

    /// <summary>Flags only the coordinator reads (coordinator.rsp): checkpoints, resume, restarts.</summary>
    public IReadOnlyList<TrainFlag> CoordinatorFlags
    {
        get;
        init
        {
            _ = ResponseFile.Format(value, ResponseFile.CoordinatorHeader);
            field = value;
        }
    } = [];

    /// <summary>A PersistentVolumeClaim every pod mounts at <see cref="Manifests.CheckpointMountPath"/>, where checkpoints go; null: none.</summary>
    public string? CheckpointClaim { get; init => field = value is null || DnsSubdomain().IsMatch(value) ? value : throw new ArgumentException($"volume claim '{value}' is not a DNS subdomain name", nameof(CheckpointClaim)); }

    /// <summary>
    /// Times a lost worker may be replaced (the coordinator's --max-restarts): each restart ends every worker pod, so
    /// the workers Job lets each index fail this many times (backoffLimitPerIndex) instead of failing at the first.
    /// </summary>
    public int MaxRestarts { get; init => field = value is >= 0 and <= 100 ? value : throw new ArgumentOutOfRangeException(nameof(MaxRestarts), value, $"--max-restarts must be between 0 and 100, got {value}"); }

    public Resources CoordinatorResources { get; init; } = new("1", "1Gi");

    public Resources WorkerResources { get; init; } = new("2", "2Gi");

    /// <summary>The image the worker pods run.</summary>
    public string EffectiveWorkerImage => WorkerImage ?? (GpusPerWorker > 0 ? CudaVariant(Image) : Image);

    /// <summary>The CUDA image built from the same sources: the tag with "-cuda" appended (`repo/distributed:1.2` → `repo/distributed:1.2-cuda`).</summary>
    public static string CudaVariant(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            throw new ArgumentException($"image '{image}' is pinned by digest; name the GPU workers' image explicitly", nameof(image));
        }

        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? $"{image}-cuda" : $"{image}:latest-cuda";
    }

    private static string ValidImage(string image) =>
        !string.IsNullOrWhiteSpace(image) && !image.Any(char.IsWhiteSpace) ? image : throw new ArgumentException($"image '{image}' is not an image reference", nameof(image));

    [GeneratedRegex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();
}

/// <summary>One training flag as given on the command line: `--lr` and its value tokens (none for a switch).</summary>
public sealed record TrainFlag(string Name, IReadOnlyList<string> Values)
{
    public TrainFlag(string name, params string[] values)
        : this(name, (IReadOnlyList<string>)values)
    {
    }
}

/// <summary>CPU and memory for one pod, requested and limited alike (Guaranteed QoS: such a pod is evicted last).</summary>
public sealed record Resources
{
    public Resources(string cpu, string memory)
    {
        Cpu = Quantity(cpu, "CPU");
        Memory = Quantity(memory, "memory");
    }

    public string Cpu { get; }

    public string Memory { get; }

    private static string Quantity(string text, string what)
    {
        try
        {
            var quantity = new ResourceQuantity(text);
            return quantity.ToDecimal() > 0 ? text : throw new ArgumentOutOfRangeException(what, text, $"{what} quantity must be above 0, got '{text}'");
        }
        catch (FormatException)
        {
            throw new ArgumentException($"{what} quantity '{text}' is not a Kubernetes quantity (such as 500m, 2, 512Mi, 4Gi)", what);
        }
    }
}
