namespace Distributed.Core.DataParallel;

/// <summary>
/// Splits a global batch among ranks in contiguous runs whose sizes differ by at most one sample: the first
/// (count mod N) ranks take one more. Sample-weighted gradient sums make the split irrelevant to the result.
/// </summary>
public static class BatchShards
{
    public static ShardInfo Of(int globalCount, int rank, int worldSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(globalCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(worldSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)rank, (uint)worldSize, nameof(rank));
        var baseCount = globalCount / worldSize;
        var extra = globalCount % worldSize;
        var start = (rank * baseCount) + Math.Min(rank, extra);
        return new ShardInfo(start, baseCount + (rank < extra ? 1 : 0));
    }
}
