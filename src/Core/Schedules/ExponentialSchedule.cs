namespace Distributed.Core.Schedules;

/// <summary>lr · γᵗ.</summary>
public sealed record ExponentialSchedule : LearningRateSchedule
{
    public ExponentialSchedule(double gamma)
    {
        ScheduleChecks.Factor(gamma, nameof(gamma));
        Gamma = gamma;
    }

    public double Gamma { get; }

    public override double At(double baseLr, long step) => baseLr * Math.Pow(Gamma, step);
}
