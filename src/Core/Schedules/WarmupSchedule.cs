namespace Distributed.Core.Schedules;

/// <summary>
/// Linear warm-up: lr · (t+1)/W for the first W steps, then the inner schedule restarted at 0, so a cosine
/// after warm-up still starts from the full rate.
/// </summary>
public sealed record WarmupSchedule : LearningRateSchedule
{
    public WarmupSchedule(int warmupSteps, LearningRateSchedule inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(warmupSteps);
        WarmupSteps = warmupSteps;
        Inner = inner;
    }

    public int WarmupSteps { get; }

    public LearningRateSchedule Inner { get; }

    public override double At(double baseLr, long step) =>
        step < WarmupSteps ? baseLr * (step + 1) / WarmupSteps : Inner.At(baseLr, step - WarmupSteps);
}
