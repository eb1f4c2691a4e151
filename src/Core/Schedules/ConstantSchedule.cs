namespace Distributed.Core.Schedules;

/// <summary>The base rate throughout.</summary>
public sealed record ConstantSchedule : LearningRateSchedule
{
    public override double At(double baseLr, long step) => baseLr;
}
