namespace Distributed.Core.Schedules;

/// <summary>The learning rate for optimizer step t (0-based) given the base rate.</summary>
public abstract record LearningRateSchedule
{
    public abstract double At(double baseLr, long step);
}
