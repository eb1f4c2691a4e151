using Distributed.Core.FullBatch;

namespace Distributed.Core.DataParallel;

/// <summary>
/// How a full-batch method splits the whole training set among ranks: in whole chunks of
/// <see cref="ModelObjective"/>'s forward passes, contiguous in sample order, an even number of chunks each. A rank
/// then computes each of its chunks exactly as one process computes that chunk (the same samples, the same float
/// sums), so what the ranks add up is what one process adds up, and N ranks follow one process's iterates to
/// double precision rather than to float32 rounding times the problem's conditioning.
/// </summary>
public static class FullBatchShards
{
    public static ShardInfo Of(int sampleCount, int rank, int worldSize, int chunk = ModelObjective.DefaultChunk)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunk);
        var chunks = (int)(((long)sampleCount + chunk - 1) / chunk);
        var (first, count) = BatchShards.Of(chunks, rank, worldSize);
        var start = (int)Math.Min((long)first * chunk, sampleCount);
        var end = (int)Math.Min((long)(first + count) * chunk, sampleCount);
        return new ShardInfo(start, end - start);
    }
}
