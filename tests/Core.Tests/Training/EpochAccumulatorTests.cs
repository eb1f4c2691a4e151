using Distributed.Core.Training;

namespace Distributed.Core.Tests.Training;

public class EpochAccumulatorTests
{
    [Fact]
    public void WeighsEachStepsMeanLossByItsBatch()
    {
        var tally = new EpochAccumulator(trainSamples: 10, classifier: true);
        tally.BeginEpoch(1);
        tally.AddStep(loss: 2.0, batch: 4, correct: 1);
        tally.AddStep(loss: 1.0, batch: 4, correct: 2);
        tally.AddStep(loss: 0.5, batch: 2, correct: 2);
        tally.EndSteps();

        var epoch = tally.EndEpoch(testLoss: 0.7, testAccuracy: 0.9);

        Assert.Equal(1, epoch.Epoch);
        Assert.Equal(((2.0 * 4) + (1.0 * 4) + (0.5 * 2)) / 10, epoch.TrainLoss);
        Assert.Equal(0.5, epoch.TrainAccuracy);
        Assert.Equal((0.7, 0.9), (epoch.TestLoss, epoch.TestAccuracy));
        Assert.True(epoch.Seconds >= 0);
    }

    [Fact]
    public void EachEpochStartsAfreshAndTheResultSpansThemAll()
    {
        var tally = new EpochAccumulator(trainSamples: 4, classifier: false);
        for (var e = 1; e <= 2; e++)
        {
            tally.BeginEpoch(e);
            tally.AddStep(loss: e, batch: 4, correct: 0);
            Thread.Sleep(1);
            tally.EndSteps();
            tally.EndEpoch(null, null);
        }

        var result = tally.Result();

        Assert.Equal([1.0, 2.0], result.Epochs.Select(m => m.TrainLoss));
        Assert.Null(result.Epochs[0].TrainAccuracy);
        Assert.Equal(2.0, result.FinalLoss);
        Assert.Equal(2, result.Steps);
        Assert.Equal(result.Epochs.Sum(m => m.Seconds), result.TrainSeconds, 1e-12);
        Assert.Equal(8 / result.TrainSeconds, result.SamplesPerSecond, 1e-6);
    }

    [Fact]
    public void NoResultBeforeAnEpochEnds() =>
        Assert.Throws<InvalidOperationException>(() => new EpochAccumulator(4, classifier: false).Result());
}
