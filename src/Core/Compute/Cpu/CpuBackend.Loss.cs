using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Cpu;

public sealed partial class CpuBackend
{
    public double SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor dLogits, float gradScale)
    {
        var (rows, classes) = ClassRows(logits, targets);
        RequireSameLength(logits, dLogits, "cross-entropy gradient");
        var z = logits.Span;
        var t = targets.Span;
        var d = dLogits.Span;
        double total = 0;
        for (var r = 0; r < rows; r++)
        {
            var row = z.Slice(r * classes, classes);
            var grad = d.Slice(r * classes, classes);
            var target = TargetClass(t[r], classes, r);

            // log Σ exp(z) = max + log Σ exp(z − max): no overflow for large logits.
            var max = System.Numerics.Tensors.TensorPrimitives.Max(row);
            double sum = 0;
            for (var c = 0; c < classes; c++)
            {
                sum += Math.Exp(row[c] - max);
            }

            var logSumExp = max + Math.Log(sum);
            total += logSumExp - row[target];
            for (var c = 0; c < classes; c++)
            {
                var softmax = Math.Exp(row[c] - logSumExp);
                grad[c] = (float)((softmax - (c == target ? 1.0 : 0.0)) * gradScale);
            }
        }

        return total;
    }

    public double SquaredError(Tensor predictions, Tensor targets, Tensor dPredictions, float gradScale)
    {
        RequireSameLength(predictions, targets, "squared error");
        RequireSameLength(predictions, dPredictions, "squared error gradient");
        var y = predictions.Span;
        var t = targets.Span;
        var d = dPredictions.Span;
        double total = 0;
        for (var i = 0; i < y.Length; i++)
        {
            var diff = y[i] - t[i];
            total += (double)diff * diff;
            d[i] = 2f * diff * gradScale;
        }

        return total;
    }

    public int CountCorrect(Tensor logits, Tensor targets)
    {
        var (rows, classes) = ClassRows(logits, targets);
        var z = logits.Span;
        var t = targets.Span;
        var correct = 0;
        for (var r = 0; r < rows; r++)
        {
            var predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(z.Slice(r * classes, classes));
            if (predicted == TargetClass(t[r], classes, r))
            {
                correct++;
            }
        }

        return correct;
    }

    private static int TargetClass(float value, int classes, int row)
    {
        var target = (int)value;
        if (target != value || target < 0 || target >= classes)
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"target {value} in row {row} is not a class in [0, {classes})");
        }

        return target;
    }
}
