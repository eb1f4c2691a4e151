using Distributed.Core.DataParallel;

namespace Distributed.Core.Tests.DataParallel;

public class ZeroPartitionTests
{
    [Fact]
    public void StageZeroOwnsEverythingAndShardedStagesSplitEvenly()
    {
        var partition = ZeroPartition.Of(10, 4);

        Assert.Equal(new ShardInfo(0, 10), ZeroPartition.Owned(ZeroStage.None, partition, 2));
        Assert.Equal(new ShardInfo[] { new(0, 3), new(3, 3), new(6, 3), new(9, 1) }, Enumerable.Range(0, 4).Select(r => ZeroPartition.Owned(ZeroStage.OptimizerState, partition, r)));
        Assert.Equal(ZeroPartition.Owned(ZeroStage.OptimizerState, partition, 3), ZeroPartition.Owned(ZeroStage.Gradients, partition, 3));
    }

    [Fact]
    public void MoreRanksThanParametersLeaveTheLastShardsEmpty()
    {
        var partition = ZeroPartition.Of(2, 3);

        Assert.Equal(new ShardInfo(2, 0), ZeroPartition.Owned(ZeroStage.Gradients, partition, 2));
    }
}
