using Distributed.Coordinator.Cli;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Tests.Sweeps;

public class AshaPrunerTests
{
    [Fact]
    public void RungsAreAtPowersOfTheReductionFactorBelowTheLastEpoch()
    {
        Assert.Equal([1, 3, 9], new AshaPruner(3).Rungs(27));
        Assert.Equal([1, 2, 4], new AshaPruner(2).Rungs(5));
        Assert.Empty(new AshaPruner(3).Rungs(1));
    }

    [Fact]
    public void KeepsOnlyTheTopThirdOfWhatARungHasSeen()
    {
        var asha = new AshaPruner(3);
        Assert.False(asha.ShouldPrune(0, 1, 9, 0.5)); // the first at a rung always goes on
        Assert.True(asha.ShouldPrune(1, 1, 9, 0.4));
        Assert.False(asha.ShouldPrune(2, 1, 9, 0.9));
        Assert.True(asha.ShouldPrune(3, 1, 9, 0.6)); // the 2/3-quantile of 0.4, 0.5, 0.9 is 0.633
        Assert.False(asha.ShouldPrune(4, 2, 9, 0.0)); // epoch 2 is no rung
    }

    [Fact]
    public void QuantileInterpolatesLinearly()
    {
        Assert.Equal(0.5 + (0.4 / 3), AshaPruner.Quantile([0.4, 0.5, 0.9], 2.0 / 3), 12); // numpy.quantile's value
        Assert.Equal(5, AshaPruner.Quantile([5], 0.5));
    }

    [Fact]
    public void ReductionFactorIsBounded() =>
        Assert.Throws<UsageException>(() => new AshaPruner(1));
}
