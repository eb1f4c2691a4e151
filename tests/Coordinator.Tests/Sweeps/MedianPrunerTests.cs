using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Tests.Sweeps;

public class MedianPrunerTests
{
    [Fact]
    public void StopsATrialBelowTheMedianOfTheOthersAtTheSameEpoch()
    {
        var pruner = new MedianPruner();
        for (var trial = 0; trial < MedianPruner.MinTrials; trial++)
        {
            Assert.False(pruner.ShouldPrune(trial, epoch: 1, epochs: 5, score: 0.5 + (0.1 * trial)));
        }

        Assert.False(pruner.ShouldPrune(10, 1, 5, 0.65)); // above the median 0.6
        Assert.True(pruner.ShouldPrune(11, 1, 5, 0.55));
    }

    [Fact]
    public void WaitsForEnoughTrialsAndNeverStopsAtTheLastEpoch()
    {
        var pruner = new MedianPruner();
        Assert.False(pruner.ShouldPrune(0, 1, 3, 0.9));
        Assert.False(pruner.ShouldPrune(1, 1, 3, 0.1)); // one other trial is not a median
        for (var trial = 0; trial < MedianPruner.MinTrials; trial++)
        {
            pruner.ShouldPrune(trial, 3, 3, 0.9);
        }

        Assert.False(pruner.ShouldPrune(9, 3, 3, 0.0));
    }

    [Fact]
    public void MedianOfEvenCountIsTheMean()
    {
        Assert.Equal(2.5, MedianPruner.Median([4, 1, 3, 2]));
        Assert.Equal(3, MedianPruner.Median([5, 1, 3]));
    }
}
