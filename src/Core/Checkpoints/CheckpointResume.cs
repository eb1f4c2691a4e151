using Distributed.Core.Data;
using Distributed.Core.Training;

namespace Distributed.Core.Checkpoints;

/// <summary>
/// Whether a run may continue from a checkpoint: what it computes must be what the checkpoint's run computed.
/// Only settings that leave the mathematics alone (or that resharding handles) may differ.
/// </summary>
public static class CheckpointResume
{
    /// <summary>
    /// Configuration keys a resumed run may change: how long it trains, how the work is spread and carried, where it
    /// runs, what it does about non-finite gradients. Everything else (model, data, optimizer, batch, seed, …) must match.
    /// </summary>
    public static readonly IReadOnlySet<string> MayChange = new HashSet<string>
    {
        "epochs", "zero", "bucket-floats", "chunk-kb", "device", "test-data", "on-nonfinite", "max-skips",
    };

    /// <summary>Throws <see cref="DataFormatException"/> naming the first setting that differs in a way a resume cannot take.</summary>
    public static void CheckCompatible(string directory, CheckpointManifest manifest, string config)
    {
        var saved = ConfigPairs.Parse(manifest.Config);
        var now = ConfigPairs.Parse(config);
        foreach (var (key, value) in saved)
        {
            if (!MayChange.Contains(key) && (!now.TryGetValue(key, out var other) || other != value))
            {
                throw new DataFormatException($"cannot resume from {directory}: {key} was '{value}' there and is '{other ?? "(missing)"}' now");
            }
        }

        if (now.Keys.FirstOrDefault(k => !saved.ContainsKey(k) && !MayChange.Contains(k)) is { } added)
        {
            throw new DataFormatException($"cannot resume from {directory}: it was written without '{added}', which this run sets");
        }
    }
}
