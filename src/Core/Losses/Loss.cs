using Distributed.Core.Compute;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Losses;

/// <summary>
/// A loss averaged over <c>meanOver</c> samples. Passing the global batch size on every worker makes the
/// per-worker gradients sum to the gradient of the whole batch's mean loss, however the batch was split.
/// </summary>
public abstract class Loss(IComputeBackend backend)
{
    private BatchBuffer? _gradient;
    private int[] _shape = [];

    protected IComputeBackend Backend { get; } = backend;

    /// <summary>dLoss/dPredictions from the last <see cref="Compute"/>.</summary>
    public Tensor Gradient { get; private set; } = new(0);

    public abstract string Name { get; }

    /// <summary>Returns Σ sample losses / meanOver and leaves the matching gradient in <see cref="Gradient"/>.</summary>
    public double Compute(Tensor predictions, Tensor targets, int meanOver)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(meanOver);
        if (_gradient is null || !predictions.Shape[1..].SequenceEqual(_shape))
        {
            _shape = predictions.Shape[1..].ToArray();
            _gradient = new BatchBuffer(_shape);
        }

        Gradient = _gradient.For(predictions.Dim(0));
        return ComputeCore(predictions, targets, Gradient, meanOver);
    }

    /// <summary>
    /// The loss's curvature along <paramref name="direction"/> (a change of the predictions): ∇²ℓ(y)·u per sample,
    /// over <paramref name="meanOver"/> samples, on the host. Newton's Hessian-vector products for a model linear in its
    /// parameters are Jᵀ·(∇²ℓ·J·v), this in the middle.
    /// </summary>
    public abstract void CurvatureTimes(ReadOnlySpan<float> predictions, ReadOnlySpan<float> direction, Span<float> result, int rowLength, int meanOver);

    protected abstract double ComputeCore(Tensor predictions, Tensor targets, Tensor gradient, int meanOver);
}
