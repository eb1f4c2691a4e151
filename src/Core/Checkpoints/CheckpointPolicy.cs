namespace Distributed.Core.Checkpoints;

/// <summary>
/// When and where a run writes checkpoints: every <see cref="Every"/> optimizer steps (0: only at the ends below),
/// at the end of every epoch, and at the end of training; the newest <see cref="Keep"/> are kept.
/// </summary>
/// <param name="Config">The run's configuration string, recorded in each manifest and compared on resume.</param>
public sealed record CheckpointPolicy(string Root, int Every, int Keep, string Config)
{
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Every, "--checkpoint-every");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Keep, "--keep-checkpoints");
    }

    /// <summary>Whether the state after <paramref name="step"/> is saved; <paramref name="endsEpoch"/>: the step is its epoch's last.</summary>
    public bool IsDue(long step, bool endsEpoch) => endsEpoch || (Every > 0 && step % Every == 0);
}
