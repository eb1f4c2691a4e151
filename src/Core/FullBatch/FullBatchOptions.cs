namespace Distributed.Core.FullBatch;

/// <summary>
/// The knobs of L-BFGS, nonlinear CG and Newton-CG, with PyTorch's LBFGS defaults where it has one. Validated on
/// construction: a bad value is an <see cref="ArgumentOutOfRangeException"/> naming it.
/// </summary>
public sealed record FullBatchOptions
{
    /// <summary>Curvature pairs L-BFGS keeps (PyTorch's history_size).</summary>
    public int History { get; init; } = 10;

    /// <summary>Stop when max |∂f/∂xᵢ| falls to this (PyTorch's tolerance_grad).</summary>
    public double GradientTolerance { get; init; } = 1e-7;

    /// <summary>Stop when f, or the step, changes by less than this (PyTorch's tolerance_change).</summary>
    public double ChangeTolerance { get; init; } = 1e-9;

    /// <summary>Evaluations one line search may spend (PyTorch's max_eval for one iteration: 25).</summary>
    public int MaxLineSearchEvaluations { get; init; } = 25;

    /// <summary>Sufficient decrease (Armijo) constant c1 of the strong Wolfe conditions.</summary>
    public double C1 { get; init; } = 1e-4;

    /// <summary>Curvature constant c2 for L-BFGS and Newton (Nocedal and Wright: 0.9 for quasi-Newton steps).</summary>
    public double C2 { get; init; } = 0.9;

    /// <summary>Curvature constant for CG, which needs a more exact search to keep its directions conjugate (N&amp;W: 0.1).</summary>
    public double CgC2 { get; init; } = 0.1;

    /// <summary>Newton-CG stops its inner solve of ∇²f·p = −∇f once the residual is this fraction of ‖∇f‖.</summary>
    public double NewtonTolerance { get; init; } = 1e-4;

    /// <summary>Hessian-vector products one Newton step may spend on its inner CG.</summary>
    public int MaxNewtonIterations { get; init; } = 200;

    public FullBatchOptions Validated()
    {
        Positive(History, "history size");
        NonNegative(GradientTolerance, "gradient tolerance");
        NonNegative(ChangeTolerance, "change tolerance");
        Positive(MaxLineSearchEvaluations, "line search evaluations");
        Positive(MaxNewtonIterations, "Newton CG iterations");
        if (!(C1 > 0 && C1 < C2 && C2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(C2), C2, $"the Wolfe constants need 0 < c1 < c2 < 1, got c1 {C1} and c2 {C2}");
        }

        if (!(C1 < CgC2 && CgC2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(CgC2), CgC2, $"CG's Wolfe constant needs c1 < c2 < 1, got c1 {C1} and c2 {CgC2}");
        }

        if (!(NewtonTolerance > 0 && NewtonTolerance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(NewtonTolerance), NewtonTolerance, $"Newton tolerance must be in (0, 1), got {NewtonTolerance}");
        }

        return this;
    }

    private static void Positive(int value, string what)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be at least 1, got {value}");
        }
    }

    private static void NonNegative(double value, string what)
    {
        if (!(value >= 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(what, value, $"{what} must be ≥ 0, got {value}");
        }
    }
}
