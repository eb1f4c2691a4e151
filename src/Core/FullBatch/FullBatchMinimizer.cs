namespace Distributed.Core.FullBatch;

/// <summary>
/// One iteration of a full-batch method, as seen at its start: f and ‖∇f‖ at the iterate it began from, and the
/// work it then did (evaluations of f and ∇f, Hessian-vector products).
/// </summary>
public readonly record struct IterationReport(double Loss, long Correct, double GradientNorm, int Evaluations, int HessianProducts, double StepLength, bool Converged)
{
    /// <summary>As a step of a run whose every epoch is one iteration on all <paramref name="samples"/>.</summary>
    public Training.StepMetrics ToStepMetrics(int iteration, int samples, double seconds) =>
        new(iteration, iteration, Loss, StepLength, samples, seconds, GradientNorm, Evaluations, HessianProducts);
}

/// <summary>
/// The loop every full-batch method shares: from x, a descent direction d (the subclass's one idea), a strong Wolfe
/// line search for t, x ← x + t·d. The iterate lives here in double precision; the objective sees it as it is.
/// f and ∇f at the accepted point come from the line search, so an iteration after the first costs only the
/// search's evaluations (PyTorch's LBFGS closure semantics).
/// </summary>
public abstract class FullBatchMinimizer
{
    private readonly IObjective _objective;
    private LinePoint? _current;

    protected FullBatchMinimizer(IObjective objective, ReadOnlySpan<double> start, FullBatchOptions options)
    {
        if (start.Length != objective.Dimension)
        {
            throw new ArgumentException($"the start has {start.Length} values, the objective {objective.Dimension}", nameof(start));
        }

        Options = options.Validated();
        _objective = objective;
        X = start.ToArray();
    }

    public static IReadOnlyList<string> Names { get; } = ["lbfgs", "cg", "newton"];

    /// <summary>The iterate.</summary>
    public double[] X { get; }

    /// <summary>Iterations taken (one per <see cref="StepAsync"/> until converged).</summary>
    public long Iterations { get; private set; }

    /// <summary>Evaluations of f and ∇f so far.</summary>
    public long Evaluations { get; private set; }

    public long HessianProducts { get; private set; }

    /// <summary>The gradient was below tolerance, or the last step changed nothing: later steps only report.</summary>
    public bool Converged { get; private set; }

    protected FullBatchOptions Options { get; }

    /// <summary>Builds the named method.</summary>
    public static FullBatchMinimizer Create(string name, IObjective objective, ReadOnlySpan<double> start, FullBatchOptions options) => name switch
    {
        "lbfgs" => new Lbfgs(objective, start, options),
        "cg" => new ConjugateGradient(objective, start, options),
        "newton" => new NewtonCg(objective, start, options),
        _ => throw new ArgumentException($"unknown full-batch method '{name}' (expected one of: {string.Join(", ", Names)})", nameof(name)),
    };

    public async Task<IterationReport> StepAsync(CancellationToken cancel = default)
    {
        var evaluationsBefore = Evaluations;
        var productsBefore = HessianProducts;
        if (_current is null)
        {
            var g = new double[X.Length];
            var value = await _objective.EvaluateAsync(X, g, cancel).ConfigureAwait(false);
            Evaluations++;
            _current = new LinePoint(0, value, g, 0);
        }

        var here = _current;
        var gradientNorm = Vectors.Norm(here.Gradient);
        var stepLength = 0.0;
        IterationReport Report() => new(here.F, here.Value.Correct, gradientNorm, (int)(Evaluations - evaluationsBefore), (int)(HessianProducts - productsBefore), stepLength, Converged);
        if (!double.IsFinite(here.F))
        {
            throw new Training.TrainingDivergedException($"the loss is {here.F} at the start of iteration {Iterations + 1}");
        }

        if (Converged || Vectors.MaxAbs(here.Gradient) <= Options.GradientTolerance)
        {
            Converged = true;
            return Report();
        }

        var d = await DirectionAsync(X, here.Gradient, cancel).ConfigureAwait(false);
        var slope = Vectors.Dot(here.Gradient, d);
        if (!(slope <= -Options.ChangeTolerance))
        {
            // Not a descent direction worth following (rounding has taken over): nothing left to gain.
            Converged = true;
            return Report();
        }

        var start = here with { T = 0, Slope = slope };
        var search = await StrongWolfe.SearchAsync(
            _objective, X, d, start, InitialStep(here.Gradient, d), Options.C1, WolfeC2, Options.MaxLineSearchEvaluations, Options.ChangeTolerance, cancel).ConfigureAwait(false);
        Evaluations += search.Evaluations;
        var next = search.Point;
        Iterations++;
        if (next.T == 0)
        {
            Converged = true;
            return Report();
        }

        stepLength = next.T;
        Accepted(X, here.Gradient, d, next.T, next.Gradient);
        Vectors.AddScaled(X, next.T, d);
        _current = next;
        if (Math.Abs(next.F - here.F) < Options.ChangeTolerance || Math.Abs(next.T) * Vectors.MaxAbs(d) < Options.ChangeTolerance)
        {
            Converged = true;
        }

        return Report();
    }

    /// <summary>c2 of this method's line search.</summary>
    protected virtual double WolfeC2 => Options.C2;

    /// <summary>The search direction at <paramref name="x"/>, where the gradient is <paramref name="gradient"/>.</summary>
    protected abstract ValueTask<double[]> DirectionAsync(double[] x, double[] gradient, CancellationToken cancel);

    /// <summary>The first step the line search tries along <paramref name="d"/>.</summary>
    protected abstract double InitialStep(double[] gradient, double[] d);

    /// <summary>Hears each accepted step x ← x + t·d and the gradient at the new point, before x moves.</summary>
    protected abstract void Accepted(double[] x, double[] gradient, double[] d, double t, double[] newGradient);

    protected void CountHessianProduct() => HessianProducts++;

    /// <summary>A first step that moves no coordinate by more than 1 (PyTorch's min(1, 1/‖g‖₁)), for methods without a natural scale yet.</summary>
    protected static double Cautious(double[] gradient) => Math.Min(1, 1 / Vectors.SumAbs(gradient));
}
