using Distributed.Core.Tensors;

namespace Distributed.Core.Training;

/// <summary>
/// Which samples form each mini-batch: a seeded permutation per epoch (epoch e's order depends only on the seed
/// and e), cut into batches; the last batch of an epoch may be short. Reuses one index array across epochs.
/// </summary>
public sealed class BatchPlan
{
    private readonly int[] _order;
    private readonly ulong _seed;

    public BatchPlan(int sampleCount, int batchSize, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        _order = new int[sampleCount];
        _seed = seed;
        BatchSize = batchSize;
        BatchesPerEpoch = BatchesFor(sampleCount, batchSize);
        BeginEpoch(0);
    }

    public int BatchSize { get; }

    /// <summary>Batches in one pass over <paramref name="sampleCount"/> samples; a batch larger than the set is the whole set once.</summary>
    public static int BatchesFor(int sampleCount, int batchSize) => sampleCount == 0 ? 0 : ((sampleCount - 1) / batchSize) + 1;

    public int BatchesPerEpoch { get; }

    public void BeginEpoch(int epoch) => Rng.Derive(_seed, 1000UL + (ulong)epoch).Permutation(_order);

    /// <summary>The sample indices of batch <paramref name="index"/> in the current epoch.</summary>
    public ReadOnlySpan<int> Batch(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)BatchesPerEpoch, nameof(index));
        var start = (long)index * BatchSize;
        return _order.AsSpan((int)start, (int)Math.Min(BatchSize, _order.Length - start));
    }
}
