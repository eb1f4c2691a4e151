namespace Distributed.Core.Optimizers;

/// <summary>
/// Options every optimizer shares. <see cref="WeightDecay"/> is coupled L2 (added to the gradient) except in
/// AdamW, where it is decoupled, as in PyTorch. <see cref="MaxGradNorm"/> clips the global gradient norm.
/// </summary>
public abstract record OptimizerOptions
{
    public required double Lr { get; init; }

    public double WeightDecay { get; init; }

    public double L1 { get; init; }

    /// <summary>Clip gradients so their global L2 norm is at most this; null leaves them alone.</summary>
    public double? MaxGradNorm { get; init; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first bad value.</summary>
    public virtual void Validate()
    {
        Check.Positive(Lr, "learning rate");
        Check.NonNegative(WeightDecay, "weight decay");
        Check.NonNegative(L1, "L1 coefficient");
        if (MaxGradNorm is { } clip)
        {
            Check.Positive(clip, "max gradient norm");
        }
    }

    protected static class Check
    {
        public static void Positive(double value, string what)
        {
            if (!(value > 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(what, value, $"{what} must be a positive finite number, got {value}");
            }
        }

        public static void NonNegative(double value, string what)
        {
            if (!(value >= 0) || double.IsInfinity(value))
            {
                throw new ArgumentOutOfRangeException(what, value, $"{what} must be ≥ 0, got {value}");
            }
        }

        /// <summary>Momenta, β and α live in [0, 1).</summary>
        public static void UnitInterval(double value, string what)
        {
            if (!(value >= 0 && value < 1))
            {
                throw new ArgumentOutOfRangeException(what, value, $"{what} must be in [0, 1), got {value}");
            }
        }
    }
}
