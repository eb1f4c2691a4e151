using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Losses;

/// <summary>Mean over samples and outputs of (prediction − target)², PyTorch's MSELoss with mean reduction.</summary>
public sealed class MeanSquaredError(IComputeBackend backend) : Loss(backend)
{
    public override string Name => "mse";

    protected override double ComputeCore(Tensor predictions, Tensor targets, Tensor gradient, int meanOver)
    {
        var count = (double)meanOver * predictions.RowLength;
        return Backend.SquaredError(predictions, targets, gradient, (float)(1.0 / count)) / count;
    }
}
