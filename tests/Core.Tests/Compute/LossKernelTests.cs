using Distributed.Core.Compute;
using Distributed.Core.Tensors;
using Distributed.Core.Tests.Losses;

namespace Distributed.Core.Tests.Compute;

/// <summary>The loss and accuracy kernels against direct double computations, written once for any backend.</summary>
public abstract class LossKernelTests
{
    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [InlineData(1, 2, 1f)]
    [InlineData(16, 10, 0.25f)]
    [InlineData(7, 3, 1f / 7)]
    public void SoftmaxCrossEntropyReturnsTheSumAndScalesTheGradient(int rows, int classes, float gradScale)
    {
        var logits = GradientCheck.Normal(new Rng(1), 4f, rows, classes);
        var targets = CrossEntropyReference.RandomTargets(new Rng(2), rows, classes);
        var d = new Tensor(rows, classes);

        var sum = CreateBackend().SoftmaxCrossEntropy(logits, targets, d, gradScale);

        Assert.Equal(CrossEntropyReference.MeanLoss(logits, targets, 1), sum, 1e-5);
        var expected = CrossEntropyReference.Gradient(logits, targets, 1);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i] * gradScale, d[i], 1e-6);
        }
    }

    [Fact]
    public void SoftmaxCrossEntropyIsStableForHugeLogits()
    {
        var logits = Tensor.FromArray([3e38f, -3e38f, 0, 1e4f, 1e4f, -1e4f], 2, 3);
        var targets = Tensor.FromArray([1, 0], 2);
        var d = new Tensor(2, 3);

        var sum = CreateBackend().SoftmaxCrossEntropy(logits, targets, d, 1f);

        // Row 0 costs 6e38 (finite in double); row 1 splits its mass between two equal winners: log 2.
        Assert.Equal(6e38 + Math.Log(2), sum, 6e38 * 1e-6);
        Assert.Equal([1f, -1f, 0f, -0.5f, 0.5f, 0f], d.ToArray());
    }

    [Theory]
    [InlineData(1.5f)]
    [InlineData(-1f)]
    [InlineData(4f)]
    [InlineData(float.NaN)]
    public void InvalidTargetsAreRejected(float target)
    {
        var logits = new Tensor(2, 4);
        var targets = Tensor.FromArray([0, target], 2);

        Assert.Throws<ArgumentOutOfRangeException>(() => CreateBackend().SoftmaxCrossEntropy(logits, targets, new Tensor(2, 4), 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => CreateBackend().CountCorrect(logits, targets));
    }

    [Fact]
    public void SquaredErrorReturnsTheSumAndScalesTheGradient()
    {
        var rng = new Rng(3);
        var predictions = GradientCheck.Normal(rng, 1f, 5, 3);
        var targets = GradientCheck.Normal(rng, 1f, 5, 3);
        var d = new Tensor(5, 3);

        var sum = CreateBackend().SquaredError(predictions, targets, d, 0.1f);

        double expected = 0;
        for (var i = 0; i < predictions.Length; i++)
        {
            var diff = (double)predictions[i] - targets[i];
            expected += diff * diff;
            Assert.Equal(2 * diff * 0.1, d[i], 1e-6);
        }

        Assert.Equal(expected, sum, 1e-5);
    }

    [Fact]
    public void CountCorrectMatchesNaiveArgMax()
    {
        const int rows = 200, classes = 7;
        var logits = GradientCheck.Normal(new Rng(4), 1f, rows, classes);
        var targets = CrossEntropyReference.RandomTargets(new Rng(5), rows, classes);
        var expected = 0;
        for (var r = 0; r < rows; r++)
        {
            var best = 0;
            for (var c = 1; c < classes; c++)
            {
                if (logits[(r * classes) + c] > logits[(r * classes) + best])
                {
                    best = c;
                }
            }

            expected += best == (int)targets[r] ? 1 : 0;
        }

        Assert.InRange(expected, 10, rows - 10);
        Assert.Equal(expected, CreateBackend().CountCorrect(logits, targets));
    }

    [Fact]
    public void CountCorrectGivesTiesToTheFirstClass()
    {
        var logits = Tensor.FromArray([1, 3, 3, 0, 2, 2, 5, 5, 5], 3, 3);

        Assert.Equal(1, CreateBackend().CountCorrect(logits, Tensor.FromArray([1, 0, 2], 3)));
        Assert.Equal(0, CreateBackend().CountCorrect(logits, Tensor.FromArray([2, 0, 1], 3)));
        Assert.Equal(3, CreateBackend().CountCorrect(logits, Tensor.FromArray([1, 1, 0], 3)));
    }
}
