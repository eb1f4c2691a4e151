using Distributed.Core.Collectives;

namespace Distributed.Core.DataParallel;

/// <summary>
/// Which slice of the flat parameters each rank's optimizer owns under a ZeRO stage: all of them under stage 0;
/// under stages 1 and 2, its segment of an even split (⌈P/N⌉ each, the last ones shorter or empty). The same
/// segments bound the gradient reduce-scatter and the parameter all-gather, so they are computed here only.
/// </summary>
public static class ZeroPartition
{
    /// <summary>How stages 1 and 2 divide <paramref name="parameterCount"/> flat parameters among <paramref name="worldSize"/> ranks.</summary>
    public static Segments Of(int parameterCount, int worldSize) => Segments.Even(parameterCount, worldSize);

    /// <summary>The slice of the flat parameters that <paramref name="rank"/>'s optimizer updates under <paramref name="stage"/>.</summary>
    public static ShardInfo Owned(ZeroStage stage, Segments partition, int rank) =>
        stage == ZeroStage.None ? new ShardInfo(0, partition.Total) : new ShardInfo(partition.Start(rank), partition.Length(rank));
}
