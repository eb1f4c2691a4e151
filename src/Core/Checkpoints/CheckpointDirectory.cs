using System.Globalization;
using Distributed.Core.Data;

namespace Distributed.Core.Checkpoints;

/// <summary>
/// A run's checkpoint directory: one subdirectory per checkpoint, named by its step (step-000001234), holding one
/// shard file per rank and, written last, the manifest. Finds the newest checkpoint that is intact (every shard's
/// checksum checked), and keeps only the newest few.
/// </summary>
public static class CheckpointDirectory
{
    public const int DefaultKeep = 3;

    private const string Prefix = "step-";

    public static string ForStep(string root, long step) => Path.Combine(root, $"{Prefix}{step.ToString("D9", CultureInfo.InvariantCulture)}");

    public static string ShardName(int rank, int worldSize) => FormattableString.Invariant($"rank-{rank:D5}-of-{worldSize:D5}.bin");

    /// <summary>
    /// The checkpoint to resume from: <paramref name="path"/> itself when it is an intact checkpoint, else the newest
    /// intact one in it (a checkpoint directory) or beside it (a damaged checkpoint's siblings, older ones only). Each
    /// damaged one is named on <paramref name="log"/> in one line; none intact is a <see cref="DataFormatException"/>.
    /// </summary>
    public static ResumePoint Resolve(string path, TextWriter log)
    {
        var full = Path.GetFullPath(path);
        if (!Directory.Exists(full))
        {
            throw new DataFormatException($"--resume {path}: no such checkpoint or checkpoint directory");
        }

        IEnumerable<string> candidates;
        if (File.Exists(Path.Combine(full, CheckpointManifest.FileName)) || StepOf(full) is not null)
        {
            var step = StepOf(full);
            var siblings = Checkpoints(Path.GetDirectoryName(full)!).Where(c => step is null || StepOf(c) < step);
            candidates = [full, .. siblings];
        }
        else
        {
            candidates = Checkpoints(full);
        }

        foreach (var candidate in candidates)
        {
            try
            {
                return new ResumePoint(candidate, Verify(candidate));
            }
            catch (DataFormatException ex)
            {
                log.WriteLine($"checkpoint {candidate} is not usable, trying an older one: {ex.Message}");
            }
        }

        throw new DataFormatException($"--resume {path}: no intact checkpoint there");
    }

    /// <summary>Reads the manifest and checks every shard it names (size and SHA-256); returns the manifest.</summary>
    public static CheckpointManifest Verify(string directory)
    {
        var manifest = CheckpointManifest.Read(directory);
        var names = TensorNames(manifest);
        foreach (var shard in manifest.Shards)
        {
            ShardFile.Read(directory, shard, names);
        }

        return manifest;
    }

    /// <summary>What each shard file holds, in order: the parameters, then the optimizer's state tensors.</summary>
    public static IReadOnlyList<string> TensorNames(CheckpointManifest manifest) => ["parameters", .. manifest.State];

    /// <summary>
    /// Keeps the newest <paramref name="keep"/> complete checkpoints in <paramref name="root"/> and removes older
    /// ones, and any older directory whose writing never finished (no manifest). Called after a manifest is written.
    /// </summary>
    public static void Prune(string root, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keep);
        var complete = 0;
        foreach (var directory in Checkpoints(root))
        {
            var finished = File.Exists(Path.Combine(directory, CheckpointManifest.FileName));
            if (finished && ++complete <= keep)
            {
                continue;
            }

            if (complete >= 1)
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The checkpoint subdirectories of <paramref name="root"/>, newest first.</summary>
    private static IEnumerable<string> Checkpoints(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateDirectories(root, Prefix + "*").Where(d => StepOf(d) is not null).OrderByDescending(d => StepOf(d))
            : [];

    private static long? StepOf(string directory)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
        return name.StartsWith(Prefix, StringComparison.Ordinal) && long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
    }
}
