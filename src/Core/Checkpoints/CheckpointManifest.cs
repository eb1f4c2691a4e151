using System.Text.Json;
using System.Text.Json.Serialization;
using Distributed.Core.Data;

namespace Distributed.Core.Checkpoints;

/// <summary>One rank's file of a checkpoint: which flat range it holds, and how to know it is intact.</summary>
public sealed record CheckpointShard(string File, long Offset, long Length, long Bytes, string Sha256);

/// <summary>
/// What a checkpoint is: written last, after every shard, so a checkpoint without one does not exist. It names the
/// run (its configuration, compared on resume), where the run was (steps, epoch, batches of that epoch done, the
/// epoch's running sums so its metrics come out the same), how the state was sharded when written, and a SHA-256
/// per shard file. Nothing in it depends on the world size it will be read with: the shards are flat ranges of
/// the parameters and of every optimizer state tensor, which a reader of any world size and ZeRO stage re-slices.
/// </summary>
public sealed record CheckpointManifest
{
    public const int CurrentFormat = 1;

    public const string FileName = "manifest.json";

    public int Format { get; init; } = CurrentFormat;

    /// <summary>The job's configuration string (model, data, optimizer, batch, seed, …) as the run formatted it.</summary>
    public required string Config { get; init; }

    public required long ParameterCount { get; init; }

    /// <summary><see cref="DataParallel.ParameterChecksum"/> of the parameters: what every rank must hold after loading.</summary>
    public required ulong ParameterChecksum { get; init; }

    /// <summary>Steps taken, skipped ones included: the next step is Step + 1.</summary>
    public required long Step { get; init; }

    /// <summary>Updates the optimizer made (the schedule's position): Step minus the skipped steps.</summary>
    public required long OptimizerSteps { get; init; }

    public long SkippedSteps { get; init; }

    /// <summary>The epoch of the last step taken.</summary>
    public required int Epoch { get; init; }

    /// <summary>Batches of <see cref="Epoch"/> done; all of them when the checkpoint was taken at the epoch's end.</summary>
    public required int BatchesDone { get; init; }

    /// <summary>The epoch's running sum of loss × batch over its steps so far.</summary>
    public double EpochLossSum { get; init; }

    public long EpochCorrect { get; init; }

    public required int WorldSize { get; init; }

    public required int ZeroStage { get; init; }

    public required string Optimizer { get; init; }

    /// <summary>The tensors of each shard after the parameters, in order.</summary>
    public required IReadOnlyList<string> State { get; init; }

    public required IReadOnlyList<CheckpointShard> Shards { get; init; }

    public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;

    private static JsonSerializerOptions Json { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Write(string directory) =>
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads and checks the manifest of <paramref name="directory"/>; <see cref="DataFormatException"/> in one line when it cannot be used.</summary>
    public static CheckpointManifest Read(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!System.IO.File.Exists(path))
        {
            throw new DataFormatException($"{directory}: no {FileName} (a checkpoint whose writing did not finish)");
        }

        CheckpointManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<CheckpointManifest>(System.IO.File.ReadAllText(path), Json);
        }
        catch (JsonException ex)
        {
            throw new DataFormatException($"{path}: not a checkpoint manifest ({ex.Message})", ex);
        }

        if (manifest is null || manifest.Format != CurrentFormat)
        {
            throw new DataFormatException($"{path}: checkpoint format {manifest?.Format} (this build reads format {CurrentFormat})");
        }

        manifest.CheckCoverage(path);
        return manifest;
    }

    /// <summary>The shards must tile [0, ParameterCount) exactly, so every range a reader asks for is there once.</summary>
    private void CheckCoverage(string path)
    {
        long next = 0;
        foreach (var shard in Shards.OrderBy(s => s.Offset))
        {
            if (shard.Offset != next || shard.Length < 0 || shard.File.Contains('/') || shard.File.Contains('\\') || shard.File.StartsWith('.'))
            {
                throw new DataFormatException($"{path}: shard {shard.File} does not continue the parameters at {next}");
            }

            next += shard.Length;
        }

        if (next != ParameterCount || Step < 0 || OptimizerSteps < 0 || OptimizerSteps > Step || Epoch < 1 || BatchesDone < 0)
        {
            throw new DataFormatException($"{path}: the shards cover {next} of {ParameterCount} parameters, or the position (step {Step}, epoch {Epoch}) is impossible");
        }
    }
}
