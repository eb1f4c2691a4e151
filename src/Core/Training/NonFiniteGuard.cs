namespace Distributed.Core.Training;

/// <summary>What a step does when its gradient is not finite.</summary>
public enum NonFinitePolicy
{
    /// <summary>End training naming the step; the parameters stay those of the step before.</summary>
    Stop,

    /// <summary>Leave the parameters and the optimizer alone for this step and go on, up to a number of skips.</summary>
    Skip,
}

/// <summary>
/// The one check between a reduced gradient and the update: the update happens only when Σg² of the whole
/// gradient is finite, so NaN or infinity never reaches the parameters (a NaN norm would also slip through
/// clipping, whose factor comparison is false for NaN). Every rank checks the same all-reduced Σg², so every rank
/// decides the same. A non-finite loss poisons its gradient (<see cref="StepBody"/>), so this catches it too.
/// </summary>
public sealed class NonFiniteGuard(NonFinitePolicy policy, int maxSkips)
{
    public const int DefaultMaxSkips = 10;

    public NonFiniteGuard()
        : this(NonFinitePolicy.Stop, DefaultMaxSkips)
    {
    }

    public NonFinitePolicy Policy { get; } = policy;

    public int MaxSkips { get; } = maxSkips >= 0 ? maxSkips : throw new ArgumentOutOfRangeException(nameof(maxSkips), maxSkips, "max skips must not be negative");

    /// <summary>Steps skipped so far (restored from a checkpoint on resume).</summary>
    public long Skipped { get; set; }

    /// <summary>
    /// True when the step may update. A non-finite <paramref name="sumOfSquares"/> stops training
    /// (<see cref="TrainingDivergedException"/>) or, under <see cref="NonFinitePolicy.Skip"/>, counts a skip and
    /// returns false until more than <see cref="MaxSkips"/> steps have been skipped.
    /// </summary>
    public bool AllowsUpdate(double sumOfSquares, long step, string where = "")
    {
        if (double.IsFinite(sumOfSquares))
        {
            return true;
        }

        if (Policy == NonFinitePolicy.Stop)
        {
            throw new TrainingDivergedException($"the gradient became non-finite (Σg² = {sumOfSquares}) at step {step}{where}; the parameters are kept from the step before; lower the learning rate, enable --clip-norm, or pass --on-nonfinite skip");
        }

        Skipped++;
        if (Skipped > MaxSkips)
        {
            throw new TrainingDivergedException($"the gradient was non-finite at {Skipped} steps, the last at step {step}{where}, more than --max-skips {MaxSkips}; lower the learning rate or enable --clip-norm");
        }

        return false;
    }

    /// <summary>
    /// The last update has no next step whose gradient would show that it overflowed, so the parameters are checked
    /// themselves before they are saved or reported.
    /// </summary>
    public static void CheckFinalParameters(ReadOnlySpan<float> values, long step)
    {
        // A finite Σv² proves every value finite in one vectorised pass; only an overflowing one needs the slow look.
        if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(values)) && !AllFinite(values))
        {
            throw new TrainingDivergedException($"the parameters became non-finite at the last step ({step}); nothing was saved; lower the learning rate or enable --clip-norm");
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    public static NonFinitePolicy ParsePolicy(string name) => name switch
    {
        "stop" => NonFinitePolicy.Stop,
        "skip" => NonFinitePolicy.Skip,
        _ => throw new ArgumentException($"unknown --on-nonfinite '{name}' (expected stop or skip)"),
    };
}
