using Distributed.Core.Tensors;

namespace Distributed.Core.Data;

/// <summary>
/// Random data of any shape for benchmarks and smoke tests, identical for a seed on every machine. Features are
/// standard normal; classification labels are uniform; regression targets are a fixed random linear function of
/// the features, so a linear model can fit them exactly.
/// </summary>
public static class SyntheticData
{
    // Independent streams: the features for a seed do not change with the number of classes.
    private const ulong LabelStream = 1;
    private const ulong WeightStream = 2;

    /// <param name="classes">Number of classes; 0 for regression.</param>
    public static Dataset Create(int[] sampleShape, int classes, int count, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(sampleShape);
        if (sampleShape.Length == 0 || sampleShape.Any(d => d <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleShape), $"[{string.Join(',', sampleShape)}]: every dimension must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var sampleLength = sampleShape.Aggregate(1L, (a, d) => a * d);
        if (sampleLength * count > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} samples of [{string.Join(',', sampleShape)}] are too many for one array");
        }

        var features = new float[sampleLength * count];
        var rng = new Rng(seed);
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = (float)rng.NextNormal();
        }

        var targets = classes > 0
            ? UniformLabels(classes, count, Rng.Derive(seed, LabelStream))
            : LinearTargets(features, (int)sampleLength, count, Rng.Derive(seed, WeightStream));
        return new Dataset($"synthetic-{seed}", (int[])sampleShape.Clone(), features, targets, targetLength: 1, classes);
    }

    private static float[] UniformLabels(int classes, int count, Rng rng)
    {
        var targets = new float[count];
        for (var i = 0; i < count; i++)
        {
            targets[i] = rng.NextInt(classes);
        }

        return targets;
    }

    /// <summary>Weights scaled by 1/√n keep the target's variance near 1 whatever the sample size.</summary>
    private static float[] LinearTargets(float[] features, int sampleLength, int count, Rng rng)
    {
        var weights = new double[sampleLength];
        var scale = 1.0 / Math.Sqrt(sampleLength);
        for (var j = 0; j < weights.Length; j++)
        {
            weights[j] = rng.NextNormal() * scale;
        }

        var targets = new float[count];
        for (var i = 0; i < count; i++)
        {
            var sample = features.AsSpan(i * sampleLength, sampleLength);
            var sum = 0.0;
            for (var j = 0; j < sampleLength; j++)
            {
                sum += weights[j] * sample[j];
            }

            targets[i] = (float)sum;
        }

        return targets;
    }
}
