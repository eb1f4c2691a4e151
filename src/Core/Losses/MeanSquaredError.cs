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

    /// <summary>The mean of squares has the constant curvature 2 / (samples × outputs).</summary>
    public override void CurvatureTimes(ReadOnlySpan<float> predictions, ReadOnlySpan<float> direction, Span<float> result, int rowLength, int meanOver)
    {
        var scale = 2.0 / ((double)meanOver * rowLength);
        for (var i = 0; i < direction.Length; i++)
        {
            result[i] = (float)(scale * direction[i]);
        }
    }
}
