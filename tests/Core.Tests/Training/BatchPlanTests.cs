using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

public class BatchPlanTests
{
    [Fact]
    public void EveryEpochVisitsEverySampleOnceWithAShortLastBatch()
    {
        var plan = new BatchPlan(10, 4, seed: 3);
        plan.BeginEpoch(1);

        var seen = Enumerable.Range(0, plan.BatchesPerEpoch).SelectMany(b => plan.Batch(b).ToArray()).ToList();

        Assert.Equal(3, plan.BatchesPerEpoch);
        Assert.Equal(2, plan.Batch(2).Length);
        Assert.Equal(Enumerable.Range(0, 10), seen.Order());
    }

    [Fact]
    public void OrderDependsOnlyOnSeedAndEpoch()
    {
        int[] Order(ulong seed, int epoch)
        {
            var plan = new BatchPlan(100, 100, seed);
            plan.BeginEpoch(epoch);
            return plan.Batch(0).ToArray();
        }

        Assert.Equal(Order(5, 2), Order(5, 2));
        Assert.NotEqual(Order(5, 2), Order(5, 3));
        Assert.NotEqual(Order(5, 2), Order(6, 2));
        Assert.NotEqual(Enumerable.Range(0, 100), Order(5, 2));
    }
}
