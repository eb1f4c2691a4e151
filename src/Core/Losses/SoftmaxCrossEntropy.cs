using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Losses;

/// <summary>Softmax over each row of logits followed by negative log-likelihood of the target class.</summary>
public sealed class SoftmaxCrossEntropy(IComputeBackend backend) : Loss(backend)
{
    public override string Name => "cross-entropy";

    protected override double ComputeCore(Tensor predictions, Tensor targets, Tensor gradient, int meanOver) =>
        Backend.SoftmaxCrossEntropy(predictions, targets, gradient, 1f / meanOver) / meanOver;

    /// <summary>Per row, (diag(p) − ppᵀ)·u with p the softmax of the logits: it does not depend on the targets.</summary>
    public override void CurvatureTimes(ReadOnlySpan<float> predictions, ReadOnlySpan<float> direction, Span<float> result, int rowLength, int meanOver)
    {
        Span<double> p = rowLength <= 256 ? stackalloc double[rowLength] : new double[rowLength];
        for (var row = 0; row < predictions.Length; row += rowLength)
        {
            var logits = predictions.Slice(row, rowLength);
            var u = direction.Slice(row, rowLength);
            double max = double.NegativeInfinity;
            foreach (var z in logits)
            {
                max = Math.Max(max, z);
            }

            double sum = 0;
            for (var k = 0; k < rowLength; k++)
            {
                p[k] = Math.Exp(logits[k] - max);
                sum += p[k];
            }

            double pu = 0;
            for (var k = 0; k < rowLength; k++)
            {
                p[k] /= sum;
                pu += p[k] * u[k];
            }

            for (var k = 0; k < rowLength; k++)
            {
                result[row + k] = (float)(p[k] * (u[k] - pu) / meanOver);
            }
        }
    }
}
