using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Losses;

/// <summary>Softmax over each row of logits followed by negative log-likelihood of the target class.</summary>
public sealed class SoftmaxCrossEntropy(IComputeBackend backend) : Loss(backend)
{
    public override string Name => "cross-entropy";

    protected override double ComputeCore(Tensor predictions, Tensor targets, Tensor gradient, int meanOver) =>
        Backend.SoftmaxCrossEntropy(predictions, targets, gradient, 1f / meanOver) / meanOver;
}
