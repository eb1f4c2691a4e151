namespace Distributed.Core.FullBatch;

/// <summary>
/// Nonlinear conjugate gradient, Polak–Ribière with the PR+ safeguard: d = −∇f + β·d_prev with
/// β = max(0, ∇fᵀ(∇f − ∇f_prev) / ‖∇f_prev‖²), which restarts along −∇f whenever β would be negative
/// (Nocedal and Wright, (5.44)–(5.45)). On a quadratic with an exact line search this is linear CG, which
/// finishes in at most n iterations. The first trial step carries the last step's decrease over
/// (N&amp;W (3.60)), since CG directions have no natural length.
/// </summary>
public sealed class ConjugateGradient(IObjective objective, ReadOnlySpan<double> start, FullBatchOptions options) : FullBatchMinimizer(objective, start, options)
{
    private double[]? _previousGradient;
    private double[]? _previousDirection;
    private double _previousStep;
    private double _previousSlope;

    protected override double WolfeC2 => Options.CgC2;

    protected override ValueTask<double[]> DirectionAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        var d = new double[gradient.Length];
        Vectors.Negate(d, gradient);
        if (_previousGradient is { } gPrev && _previousDirection is { } dPrev)
        {
            double numerator = 0;
            for (var k = 0; k < gradient.Length; k++)
            {
                numerator += gradient[k] * (gradient[k] - gPrev[k]);
            }

            var beta = Math.Max(0, numerator / Vectors.Dot(gPrev, gPrev));
            Vectors.AddScaled(d, beta, dPrev);

            // Rounding can leave a direction that no longer descends: start again from steepest descent.
            if (Vectors.Dot(d, gradient) >= 0)
            {
                Vectors.Negate(d, gradient);
            }
        }

        return ValueTask.FromResult(d);
    }

    protected override double InitialStep(double[] gradient, double[] d)
    {
        if (_previousDirection is null)
        {
            return Cautious(gradient);
        }

        var t = _previousStep * _previousSlope / Vectors.Dot(gradient, d);
        return double.IsFinite(t) && t > 0 ? Math.Min(t, 1e10) : 1;
    }

    protected override void Accepted(double[] x, double[] gradient, double[] d, double t, double[] newGradient)
    {
        _previousGradient = gradient;
        _previousDirection = d;
        _previousStep = t;
        _previousSlope = Vectors.Dot(gradient, d);
    }
}
