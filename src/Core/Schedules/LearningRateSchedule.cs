namespace Distributed.Core.Schedules;

/// <summary>The learning rate for optimizer step t (0-based) given the base rate.</summary>
public abstract record LearningRateSchedule
{
    public abstract double At(double baseLr, long step);
}

/// <summary>The base rate throughout.</summary>
public sealed record ConstantSchedule : LearningRateSchedule
{
    public override double At(double baseLr, long step) => baseLr;
}

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

/// <summary>Cosine annealing from lr to minLr over totalSteps, then minLr: minLr + (lr − minLr)(1 + cos(πt/T))/2.</summary>
public sealed record CosineSchedule : LearningRateSchedule
{
    public CosineSchedule(long totalSteps, double minLr = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (!(minLr >= 0) || double.IsInfinity(minLr))
        {
            throw new ArgumentOutOfRangeException(nameof(minLr), minLr, "minimum learning rate must be ≥ 0");
        }

        TotalSteps = totalSteps;
        MinLr = minLr;
    }

    public long TotalSteps { get; }

    public double MinLr { get; }

    public override double At(double baseLr, long step)
    {
        var t = Math.Min(step, TotalSteps);
        return MinLr + ((baseLr - MinLr) * (1 + Math.Cos(Math.PI * t / TotalSteps)) / 2);
    }
}

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

internal static class ScheduleChecks
{
    public static void Factor(double gamma, string name)
    {
        if (!(gamma > 0 && gamma <= 1))
        {
            throw new ArgumentOutOfRangeException(name, gamma, "decay factor must be in (0, 1]");
        }
    }
}
