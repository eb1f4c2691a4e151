namespace Distributed.Core.FullBatch;

/// <summary>
/// f + (λ/2)‖x‖²: `--weight-decay` as a full-batch method must see it, in the function the line search compares
/// and not only in the gradient (coupled L2 for the first-order optimizers is the gradient of the same term).
/// Added once, outside any reduction over ranks.
/// </summary>
public sealed class Regularized(IObjective inner, double weightDecay) : IObjective, ICurvature
{
    public int Dimension => inner.Dimension;

    public double WeightDecay { get; } = weightDecay >= 0 && double.IsFinite(weightDecay)
        ? weightDecay
        : throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, $"weight decay must be ≥ 0, got {weightDecay}");

    public async ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        var value = await inner.EvaluateAsync(x, gradient, cancel).ConfigureAwait(false);
        if (WeightDecay == 0)
        {
            return value;
        }

        Vectors.AddScaled(gradient, WeightDecay, x);
        return value with { Loss = value.Loss + 0.5 * WeightDecay * Vectors.Dot(x, x) };
    }

    public ValueTask AtAsync(double[] x, CancellationToken cancel) => Curvature.AtAsync(x, cancel);

    public async ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel)
    {
        await Curvature.HessianTimesAsync(v, result, cancel).ConfigureAwait(false);
        Vectors.AddScaled(result, WeightDecay, v);
    }

    private ICurvature Curvature => inner as ICurvature ?? throw new InvalidOperationException("the regularised objective has no Hessian-vector products");
}
