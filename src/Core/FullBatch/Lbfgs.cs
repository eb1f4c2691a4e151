namespace Distributed.Core.FullBatch;

/// <summary>
/// Limited-memory BFGS: the direction is −H·∇f, with H the BFGS inverse-Hessian estimate built from the last m
/// steps s = Δx and gradient changes y = Δ∇f on top of γ·I (γ = sᵀy/yᵀy of the newest pair), applied without
/// forming H by the two-loop recursion (Nocedal and Wright, Algorithm 7.4). A pair with sᵀy ≤ 10⁻¹⁰ would make
/// H indefinite and is skipped, as PyTorch does.
/// </summary>
public sealed class Lbfgs(IObjective objective, ReadOnlySpan<double> start, FullBatchOptions options) : FullBatchMinimizer(objective, start, options)
{
    private const double MinCurvature = 1e-10;

    private readonly LinkedList<(double[] S, double[] Y, double Rho)> _pairs = new();
    private double _gamma = 1;

    /// <summary>Curvature pairs held now (at most the history size).</summary>
    public int PairCount => _pairs.Count;

    protected override ValueTask<double[]> DirectionAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        var q = new double[gradient.Length];
        Vectors.Negate(q, gradient);
        var alphas = new double[_pairs.Count];
        var i = _pairs.Count;
        for (var node = _pairs.Last; node is not null; node = node.Previous)
        {
            var (s, y, rho) = node.Value;
            alphas[--i] = rho * Vectors.Dot(s, q);
            Vectors.AddScaled(q, -alphas[i], y);
        }

        for (var k = 0; k < q.Length; k++)
        {
            q[k] *= _gamma;
        }

        i = 0;
        foreach (var (s, y, rho) in _pairs)
        {
            var beta = rho * Vectors.Dot(y, q);
            Vectors.AddScaled(q, alphas[i++] - beta, s);
        }

        return ValueTask.FromResult(q);
    }

    protected override double InitialStep(double[] gradient, double[] d) => Iterations == 0 ? Cautious(gradient) : 1;

    protected override void Accepted(double[] x, double[] gradient, double[] d, double t, double[] newGradient)
    {
        var s = new double[d.Length];
        var y = new double[d.Length];
        for (var k = 0; k < s.Length; k++)
        {
            s[k] = t * d[k];
            y[k] = newGradient[k] - gradient[k];
        }

        var ys = Vectors.Dot(y, s);
        if (ys <= MinCurvature)
        {
            return;
        }

        if (_pairs.Count == Options.History)
        {
            _pairs.RemoveFirst();
        }

        _pairs.AddLast((s, y, 1 / ys));
        _gamma = ys / Vectors.Dot(y, y);
    }
}
