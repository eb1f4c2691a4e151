using Distributed.Core.Layers;

namespace Distributed.Core.DataParallel;

/// <summary>One bucket: a contiguous range of the flat gradient, final once layer <see cref="ReadyAfterLayer"/> has run backward.</summary>
public readonly record struct GradientBucket(int Index, int Start, int Length, int ReadyAfterLayer);

/// <summary>
/// Cuts the flat gradient into buckets of whole layers, from the last layer backwards (the order backward finishes
/// them), each at least <c>bucketFloats</c> long except possibly the first-layer one. Communication of a bucket can
/// start as soon as its earliest layer is done, while backward goes on with the layers before it.
/// </summary>
public sealed class GradientBuckets
{
    public GradientBuckets(Sequential network, int bucketFloats)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketFloats);
        var layerStart = new int[network.Layers.Count + 1];
        for (var i = 0; i < network.Layers.Count; i++)
        {
            layerStart[i + 1] = layerStart[i] + network.Layers[i].Parameters.Sum(p => p.Length);
        }

        var buckets = new List<GradientBucket>();
        var end = layerStart[^1];
        for (var i = network.Layers.Count - 1; i >= 0; i--)
        {
            var start = layerStart[i];
            var isLast = i == 0;
            if (end > start && (end - start >= bucketFloats || isLast))
            {
                buckets.Add(new GradientBucket(buckets.Count, start, end - start, i));
                end = start;
            }
        }

        Buckets = buckets;
        BucketOfLayer = new int[network.Layers.Count];
        Array.Fill(BucketOfLayer, -1);
        foreach (var b in buckets)
        {
            BucketOfLayer[b.ReadyAfterLayer] = b.Index;
        }
    }

    /// <summary>Buckets in the order backward completes them (the last layers' first).</summary>
    public IReadOnlyList<GradientBucket> Buckets { get; }

    /// <summary>For each layer index, the bucket that becomes ready when that layer's backward is done, or −1.</summary>
    public int[] BucketOfLayer { get; }
}
