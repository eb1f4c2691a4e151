using Distributed.Core.Telemetry;
using Distributed.Core.Tensors;

namespace Distributed.Core.Data;

/// <summary>
/// Samples held in memory as float32: features row-major (Count × SampleShape) and targets (Count × TargetLength).
/// Classification targets are class indices stored as floats (exact below 2²⁴), so every loss takes one tensor type.
/// </summary>
public sealed class Dataset
{
    public Dataset(string name, int[] sampleShape, float[] features, float[] targets, int targetLength, int classes)
    {
        SampleLength = sampleShape.Aggregate(1, (a, b) => a * b);
        if (SampleLength <= 0 || targetLength <= 0)
        {
            throw new ArgumentException($"{name}: empty sample or target shape");
        }

        if (features.Length % SampleLength != 0 || targets.Length % targetLength != 0
            || features.Length / SampleLength != targets.Length / targetLength)
        {
            throw new DataFormatException($"{name}: {features.Length / SampleLength} samples but {targets.Length / targetLength} targets");
        }

        Name = name;
        SampleShape = sampleShape;
        Features = features;
        Targets = targets;
        TargetLength = targetLength;
        Classes = classes;
        Count = targets.Length / targetLength;
    }

    public string Name { get; }

    /// <summary>Shape of one sample, e.g. [1, 28, 28] for MNIST or [3] for a CSV with three features.</summary>
    public int[] SampleShape { get; }

    public int SampleLength { get; }

    public float[] Features { get; }

    public float[] Targets { get; }

    public int TargetLength { get; }

    /// <summary>Number of classes for classification; 0 for regression targets.</summary>
    public int Classes { get; }

    public int Count { get; }

    /// <summary>Copies the samples named by <paramref name="indices"/> into the first rows of x and t.</summary>
    public void Gather(ReadOnlySpan<int> indices, Tensor x, Tensor t)
    {
        if (x.Length < indices.Length * SampleLength || t.Length < indices.Length * TargetLength)
        {
            throw new ArgumentException($"batch buffers too small for {indices.Length} samples");
        }

        using var span = Spans.StartPhase(Spans.Data);
        var xs = x.Span;
        var ts = t.Span;
        for (var i = 0; i < indices.Length; i++)
        {
            var s = indices[i];
            if ((uint)s >= (uint)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"sample {s} outside {Name} of {Count}");
            }

            Features.AsSpan(s * SampleLength, SampleLength).CopyTo(xs.Slice(i * SampleLength, SampleLength));
            Targets.AsSpan(s * TargetLength, TargetLength).CopyTo(ts.Slice(i * TargetLength, TargetLength));
        }
    }
}
