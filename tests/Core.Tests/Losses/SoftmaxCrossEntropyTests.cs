using Distributed.Core.Compute.Cpu;
using Distributed.Core.Losses;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Losses;

public sealed class SoftmaxCrossEntropyTests
{
    [Theory]
    [InlineData(4, 5, 4)]
    [InlineData(4, 5, 10)] // a worker's share of a larger global batch
    [InlineData(1, 2, 1)]
    public void GradientMatchesFiniteDifferences(int batch, int classes, int meanOver)
    {
        var loss = new SoftmaxCrossEntropy(new CpuBackend(1));
        var logits = GradientCheck.Normal(new Rng(91), 2f, batch, classes);
        var targets = CrossEntropyReference.RandomTargets(new Rng(92), batch, classes);
        double Objective() => loss.Compute(logits, targets, meanOver);

        Objective();
        var analytic = loss.Gradient.ToArray();

        GradientCheck.AssertGradient(logits, analytic, Objective, "dLogits");
    }

    [Fact]
    public void LargeLogitsGiveFiniteLossAndSoftmaxMinusOneHot()
    {
        var loss = new SoftmaxCrossEntropy(new CpuBackend(1));
        var logits = Tensor.FromArray(
            [
                1000, 0, -1000,
                1000, 999, 998,
                -1000, -1000, -1000,
                -1000, 1000, 0,
            ],
            4,
            3);
        var targets = Tensor.FromArray([0, 2, 1, 0], 4);

        var value = loss.Compute(logits, targets, meanOver: 4);

        Assert.True(double.IsFinite(value));
        Assert.Equal(CrossEntropyReference.MeanLoss(logits, targets, 4), value, 1e-9);
        var softmaxMinusOneHot = CrossEntropyReference.Gradient(logits, targets, 4);
        for (var i = 0; i < logits.Length; i++)
        {
            Assert.True(float.IsFinite(loss.Gradient[i]));
            Assert.Equal(softmaxMinusOneHot[i], loss.Gradient[i], 1e-6);
        }

        // Row 3 puts the target 2000 below the winner: the loss is 2000, not infinity.
        Assert.Equal(2000.0 / 4, CrossEntropyReference.MeanLoss(logits.View(9, 1, 3), Tensor.FromArray([0], 1), 4), 1e-9);
    }

    [Fact]
    public void ValueMatchesDirectComputation()
    {
        var loss = new SoftmaxCrossEntropy(new CpuBackend(1));
        var logits = GradientCheck.Normal(new Rng(93), 3f, 16, 10);
        var targets = CrossEntropyReference.RandomTargets(new Rng(94), 16, 10);

        Assert.Equal(CrossEntropyReference.MeanLoss(logits, targets, 16), loss.Compute(logits, targets, meanOver: 16), 1e-6);
    }
}
