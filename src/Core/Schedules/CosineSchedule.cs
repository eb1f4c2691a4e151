namespace Distributed.Core.Schedules;

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
