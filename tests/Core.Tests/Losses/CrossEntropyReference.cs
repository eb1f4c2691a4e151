using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Losses;

/// <summary>Cross-entropy in double with the max subtracted before exponentiating.</summary>
internal static class CrossEntropyReference
{
    /// <summary>Class indices stored as floats, as data sets deliver them.</summary>
    public static Tensor RandomTargets(Rng rng, int rows, int classes)
    {
        var t = new Tensor(rows);
        for (var i = 0; i < rows; i++)
        {
            t[i] = rng.NextInt(classes);
        }

        return t;
    }

    public static double MeanLoss(Tensor logits, Tensor targets, int meanOver)
    {
        var classes = logits.Length / targets.Length;
        double total = 0;
        for (var r = 0; r < targets.Length; r++)
        {
            total += LogSumExp(logits, r, classes) - logits[(r * classes) + (int)targets[r]];
        }

        return total / meanOver;
    }

    public static double[] Gradient(Tensor logits, Tensor targets, int meanOver)
    {
        var classes = logits.Length / targets.Length;
        var grad = new double[logits.Length];
        for (var r = 0; r < targets.Length; r++)
        {
            var lse = LogSumExp(logits, r, classes);
            for (var c = 0; c < classes; c++)
            {
                var i = (r * classes) + c;
                grad[i] = (Math.Exp(logits[i] - lse) - (c == (int)targets[r] ? 1 : 0)) / meanOver;
            }
        }

        return grad;
    }

    private static double LogSumExp(Tensor logits, int row, int classes)
    {
        var max = double.NegativeInfinity;
        for (var c = 0; c < classes; c++)
        {
            max = Math.Max(max, logits[(row * classes) + c]);
        }

        double sum = 0;
        for (var c = 0; c < classes; c++)
        {
            sum += Math.Exp(logits[(row * classes) + c] - max);
        }

        return max + Math.Log(sum);
    }
}
