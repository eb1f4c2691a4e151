namespace Distributed.Core.Schedules;

/// <summary>lr · γ^⌊t / stepSize⌋ (PyTorch's StepLR, counted in optimizer steps).</summary>
public sealed record StepSchedule : LearningRateSchedule
{
    public StepSchedule(int stepSize, double gamma)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        ScheduleChecks.Factor(gamma, nameof(gamma));
        StepSize = stepSize;
        Gamma = gamma;
    }

    public int StepSize { get; }

    public double Gamma { get; }

    public override double At(double baseLr, long step) => baseLr * Math.Pow(Gamma, step / StepSize);
}
