namespace Distributed.Core.FullBatch;

/// <summary>f(x) and what a classifier got right there (0 for anything else).</summary>
public readonly record struct ObjectiveValue(double Loss, long Correct);

/// <summary>
/// The closure a full-batch method calls: f and ∇f at a point, computed over the whole training set. The same
/// point must give the same value every time (no dropout, no sampling), or the line search decides on noise.
/// Asynchronous because a distributed objective all-reduces before it answers.
/// </summary>
public interface IObjective
{
    int Dimension { get; }

    /// <summary>Returns f(<paramref name="x"/>) and writes ∇f(x) into <paramref name="gradient"/>.</summary>
    ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel);
}

/// <summary>Hessian-vector products, for Newton's method. <see cref="AtAsync"/> fixes the point the products are taken at.</summary>
public interface ICurvature
{
    ValueTask AtAsync(double[] x, CancellationToken cancel);

    /// <summary>Writes ∇²f(x)·<paramref name="v"/> into <paramref name="result"/> at the point last given to <see cref="AtAsync"/>.</summary>
    ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel);
}
