using ILGPU;
using ILGPU.Algorithms;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Losses, one thread per row (or element), in double as the CPU backend computes them. Each thread writes its own
/// term; the host adds the terms in order, so the total does not depend on scheduling.
/// </summary>
internal static class LossKernels
{
    /// <summary>Marks a row whose target is not a class; a real loss term is never negative.</summary>
    public const double BadTarget = double.NegativeInfinity;

    /// <summary>terms[r] = log Σ exp(z) − z[target]; dLogits = (softmax − onehot) · gradScale.</summary>
    public static void SoftmaxCrossEntropy(Index1D r, ArrayView<float> logits, ArrayView<float> targets, ArrayView<float> dLogits, ArrayView<double> terms, int classes, float gradScale)
    {
        var row = r * classes;
        var target = TargetClass(targets[r], classes);
        if (target < 0)
        {
            terms[r] = BadTarget;
            return;
        }

        var max = logits[row];
        for (var c = 1; c < classes; c++)
        {
            // NaN wins, as TensorPrimitives.Max does on the CPU.
            var z = logits[row + c];
            max = z > max || float.IsNaN(z) ? z : max;
        }

        double sum = 0;
        for (var c = 0; c < classes; c++)
        {
            sum += XMath.Exp((double)logits[row + c] - max);
        }

        var logSumExp = max + XMath.Log(sum);
        terms[r] = logSumExp - logits[row + target];
        for (var c = 0; c < classes; c++)
        {
            var softmax = XMath.Exp(logits[row + c] - logSumExp);
            dLogits[row + c] = (float)((softmax - (c == target ? 1.0 : 0.0)) * gradScale);
        }
    }

    /// <summary>terms[i] = (pred − target)²; dPred = 2(pred − target) · gradScale.</summary>
    public static void SquaredError(Index1D i, ArrayView<float> predictions, ArrayView<float> targets, ArrayView<float> dPredictions, ArrayView<double> terms, float gradScale)
    {
        var diff = predictions[i] - targets[i];
        terms[i] = (double)diff * diff;
        dPredictions[i] = 2f * diff * gradScale;
    }

    /// <summary>hits[r] = 1 when the row's first largest logit is its target, 0 when not, −1 for a bad target.</summary>
    public static void CountCorrect(Index1D r, ArrayView<float> logits, ArrayView<float> targets, ArrayView<int> hits, int classes)
    {
        var target = TargetClass(targets[r], classes);
        if (target < 0)
        {
            hits[r] = -1;
            return;
        }

        var row = r * classes;
        var best = 0;
        var max = logits[row];
        for (var c = 1; c < classes; c++)
        {
            var z = logits[row + c];
            if (float.IsNaN(max))
            {
                break;
            }

            if (z > max || float.IsNaN(z))
            {
                max = z;
                best = c;
            }
        }

        hits[r] = best == target ? 1 : 0;
    }

    /// <summary>The class a stored target names, or −1 when it is not an integer in [0, classes).</summary>
    private static int TargetClass(float value, int classes)
    {
        var target = (int)value;
        return target == value && target >= 0 && target < classes ? target : -1;
    }
}
