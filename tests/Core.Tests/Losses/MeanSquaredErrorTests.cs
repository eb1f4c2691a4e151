using Distributed.Core.Compute.Cpu;
using Distributed.Core.Losses;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Losses;

public sealed class MeanSquaredErrorTests
{
    [Theory]
    [InlineData(3, 4, 3)]
    [InlineData(3, 4, 8)] // a worker's share of a larger global batch
    [InlineData(1, 1, 1)]
    public void GradientMatchesFiniteDifferences(int batch, int outputs, int meanOver)
    {
        var loss = new MeanSquaredError(new CpuBackend(1));
        var predictions = GradientCheck.Normal(new Rng(81), 1f, batch, outputs);
        var targets = GradientCheck.Normal(new Rng(82), 1f, batch, outputs);
        double Objective() => loss.Compute(predictions, targets, meanOver);

        Objective();
        var analytic = loss.Gradient.ToArray();

        Assert.Equal(predictions.Shape.ToArray(), loss.Gradient.Shape.ToArray());
        GradientCheck.AssertGradient(predictions, analytic, Objective, "dPred");
    }

    [Fact]
    public void ValueIsTheMeanOverSamplesAndOutputs()
    {
        var loss = new MeanSquaredError(new CpuBackend(1));
        var predictions = GradientCheck.Normal(new Rng(83), 1f, 5, 3);
        var targets = GradientCheck.Normal(new Rng(84), 1f, 5, 3);
        double expected = 0;
        for (var i = 0; i < predictions.Length; i++)
        {
            var d = (double)predictions[i] - targets[i];
            expected += d * d;
        }

        Assert.Equal(expected / 15, loss.Compute(predictions, targets, meanOver: 5), 1e-6);
        Assert.Equal(expected / 30, loss.Compute(predictions, targets, meanOver: 10), 1e-6);
    }
}
