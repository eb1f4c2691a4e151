using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Tests.Jobs;

public class CpuPlacementTests
{
    [Fact]
    public void EachRankGetsItsOwnRunOfCpusInTheOrderTheProcessMayUseThem()
    {
        var placement = CpuPlacement.Plan(CpuPlacement.Auto, 2, 2, [2, 5, 7, 9, 11]);

        Assert.NotNull(placement.PerRank);
        Assert.Equal([[2, 5], [7, 9]], placement.PerRank.Select(c => c.ToArray()).ToArray());
        Assert.Equal("bound to CPUs: rank 0 on 2,5, rank 1 on 7,9", placement.Description);
    }

    [Fact]
    public void OneThreadPerWorkerOnTwoCpusBindsRankRToCpuR()
    {
        var placement = CpuPlacement.Plan(CpuPlacement.Auto, 2, 1, [0, 1]);

        Assert.Equal([[0], [1]], placement.PerRank!.Select(c => c.ToArray()).ToArray());
    }

    [Theory]
    [InlineData(3, 1, "3 workers × 1 thread need 3 CPUs, this process may use 2")]
    [InlineData(2, 2, "2 workers × 2 threads need 4 CPUs, this process may use 2")]
    public void AJobThatDoesNotFitRunsUnboundAndSaysWhy(int workers, int threads, string why)
    {
        var placement = CpuPlacement.Plan(CpuPlacement.Auto, workers, threads, [0, 1]);

        Assert.Null(placement.PerRank);
        Assert.Equal($"not bound to CPUs ({why})", placement.Description);
    }

    [Fact]
    public void NoneAndASystemThatCannotBindLeaveTheWorkersUnbound()
    {
        Assert.Null(CpuPlacement.Plan(CpuPlacement.None, 1, 1, [0, 1]).PerRank);
        Assert.Null(CpuPlacement.Plan(CpuPlacement.Auto, 1, 1, null).PerRank);
    }
}
