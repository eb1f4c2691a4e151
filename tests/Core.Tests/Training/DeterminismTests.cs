using Distributed.Core.Data;
using Distributed.Core.Optimizers;

namespace Distributed.Core.Tests.Training;

public class DeterminismTests
{
    private static readonly Dataset Subset = Take(TrainingHarness.Mnist(train: true), 1024);

    [Fact]
    public void SameSeedGivesBitwiseIdenticalParameters()
    {
        var first = Run(seed: 11, threads: 1);
        var second = Run(seed: 11, threads: 1);

        Assert.Equal(first, second);
    }

    [Fact]
    public void ThreadCountDoesNotChangeTheResult()
    {
        Assert.Equal(Run(seed: 11, threads: 1), Run(seed: 11, threads: 2));
    }

    [Fact]
    public void AnotherSeedGivesAnotherModel()
    {
        Assert.NotEqual(Run(seed: 11, threads: 1), Run(seed: 12, threads: 1));
    }

    private static float[] Run(ulong seed, int threads)
    {
        var settings = new OptimizerSettings { Name = "adam", Lr = 1e-3 };
        var (model, _) = TrainingHarness.Train("mlp", Subset, null, settings, epochs: 1, batchSize: 64, seed: seed, threads: threads, dropout: 0.2f);
        return model.Parameters.Values.ToArray();
    }

    private static Dataset Take(Dataset d, int n) => new(
        d.Name, d.SampleShape, d.Features[..(n * d.SampleLength)], d.Targets[..(n * d.TargetLength)], d.TargetLength, d.Classes);
}
