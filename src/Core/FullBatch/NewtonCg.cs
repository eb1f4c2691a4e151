namespace Distributed.Core.FullBatch;

/// <summary>
/// Newton's method, solving ∇²f·p = −∇f by conjugate gradients on Hessian-vector products rather than forming the
/// Hessian (line-search Newton-CG, Nocedal and Wright Algorithm 7.1): a logreg on MNIST has 7,850 parameters, and
/// a dense 7,850² Hessian with its factorisation would cost far more than the few hundred products a step needs.
/// The inner solve stops at a residual of <see cref="FullBatchOptions.NewtonTolerance"/>·‖∇f‖, so on a quadratic
/// (linreg) the step is Newton's exact one and lands on the minimum; it stops early, keeping what it has, at
/// negative curvature (the first time: the steepest descent direction). The line search tries t = 1 first.
/// </summary>
public sealed class NewtonCg : FullBatchMinimizer
{
    private readonly ICurvature _curvature;

    public NewtonCg(IObjective objective, ReadOnlySpan<double> start, FullBatchOptions options)
        : base(objective, start, options)
    {
        _curvature = objective as ICurvature
            ?? throw new ArgumentException("newton needs Hessian-vector products, which this objective does not offer", nameof(objective));
    }

    protected override async ValueTask<double[]> DirectionAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        await _curvature.AtAsync(x, cancel).ConfigureAwait(false);
        var n = gradient.Length;
        var z = new double[n];
        var r = (double[])gradient.Clone();
        var p = new double[n];
        Vectors.Negate(p, r);
        var hp = new double[n];
        var rr = Vectors.Dot(r, r);
        var tolerance = Options.NewtonTolerance * Math.Sqrt(rr);
        for (var j = 0; j < Options.MaxNewtonIterations; j++)
        {
            await _curvature.HessianTimesAsync(p, hp, cancel).ConfigureAwait(false);
            CountHessianProduct();
            var curvature = Vectors.Dot(p, hp);
            if (curvature <= 0)
            {
                return j == 0 ? p : z;
            }

            var alpha = rr / curvature;
            Vectors.AddScaled(z, alpha, p);
            Vectors.AddScaled(r, alpha, hp);
            var rrNext = Vectors.Dot(r, r);
            if (Math.Sqrt(rrNext) <= tolerance)
            {
                break;
            }

            var beta = rrNext / rr;
            rr = rrNext;
            for (var k = 0; k < n; k++)
            {
                p[k] = -r[k] + beta * p[k];
            }
        }

        return z;
    }

    protected override double InitialStep(double[] gradient, double[] d) => 1;

    protected override void Accepted(double[] x, double[] gradient, double[] d, double t, double[] newGradient)
    {
    }
}
