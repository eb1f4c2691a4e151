using Distributed.Core.Optimizers;

namespace Distributed.Core.Tests.Training;

/// <summary>
/// The bar on the bundled 8,000/2,000 MNIST split, Adam lr 1e-3, batch 128 (libtorch: mlp 93.7%,
/// cnn 96.6% after 5 epochs). The cnn trains 3 epochs here to fit a 2-core CI machine; the README has full runs.
/// </summary>
public class MnistAccuracyTests
{
    [Fact]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    public void MlpReaches93PercentInFiveEpochs()
    {
        var (_, result) = TrainingHarness.Train("mlp", TrainingHarness.Mnist(true), TrainingHarness.Mnist(false), Adam(), epochs: 5, batchSize: 128, threads: 2);

        Assert.True(result.TestAccuracy >= 0.93, $"test accuracy {result.TestAccuracy:P2}");
    }

    [Fact]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    public void CnnReaches96PercentInThreeEpochs()
    {
        var (_, result) = TrainingHarness.Train("cnn", TrainingHarness.Mnist(true), TrainingHarness.Mnist(false), Adam(), epochs: 3, batchSize: 128, threads: 2);

        Assert.True(result.TestAccuracy >= 0.96, $"test accuracy {result.TestAccuracy:P2}");
    }

    private static OptimizerSettings Adam() => new() { Name = "adam", Lr = 1e-3 };
}
