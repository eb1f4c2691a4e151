using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute;

/// <summary>ReLU, bias and dropout kernels against their definitions, written once for any backend.</summary>
public abstract class ElementwiseTests
{
    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void ReluForwardAndBackwardFollowTheDefinition(int length)
    {
        var x = GradientCheck.Normal(new Rng(1), 1f, length);
        x[0] = 0f;
        var dy = GradientCheck.Normal(new Rng(2), 1f, length);
        var y = new Tensor(length);
        var dx = new Tensor(length);
        var backend = CreateBackend();

        backend.ReluForward(x, y);
        backend.ReluBackward(y, dy, dx);

        for (var i = 0; i < length; i++)
        {
            Assert.Equal(x[i] > 0 ? x[i] : 0f, y[i]);
            Assert.Equal(x[i] > 0 ? dy[i] : 0f, dx[i]);
        }
    }

    [Fact]
    public void ReluCanRunInPlace()
    {
        var x = Tensor.FromArray([-2, -0.5f, 0, 0.5f, 2], 5);

        CreateBackend().ReluForward(x, x);

        Assert.Equal([0, 0, 0, 0.5f, 2], x.ToArray());
    }

    [Fact]
    public void RowBiasIsAddedToEveryRowAndItsGradientSumsRows()
    {
        var rng = new Rng(3);
        var y = GradientCheck.Normal(rng, 1f, 4, 19);
        var bias = GradientCheck.Normal(rng, 1f, 19);
        var grad = GradientCheck.Normal(rng, 1f, 19);
        var before = y.ToArray();
        var gradBefore = grad.ToArray();
        var backend = CreateBackend();

        backend.AddRowBias(y, bias);
        backend.AccumulateRowBiasGrad(y, grad);

        for (var j = 0; j < 19; j++)
        {
            double column = 0;
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(before[(i * 19) + j] + bias[j], y[(i * 19) + j]);
                column += y[(i * 19) + j];
            }

            Assert.Equal(gradBefore[j] + column, grad[j], 1e-5);
        }
    }

    [Theory]
    [InlineData(0.25f, 11UL, 0L)]
    [InlineData(0.5f, 12UL, 0L)]
    [InlineData(0.5f, 12UL, 3_000_000_123L)]
    public void DropoutMaskIsTheSharedCounterHashContract(float p, ulong seed, long firstIndex)
    {
        const int length = 4099;
        var x = GradientCheck.Normal(new Rng(4), 1f, length);
        var mask = new Tensor(length);
        var y = new Tensor(length);
        var keep = 1f / (1f - p);

        CreateBackend().DropoutForward(x, mask, y, p, seed, firstIndex);

        for (var i = 0; i < length; i++)
        {
            var expected = CpuBackend.DropoutUniform(seed, firstIndex + i) < p ? 0f : keep;
            Assert.Equal(expected, mask[i]);
            Assert.Equal(x[i] * expected, y[i]);
        }
    }

    [Fact]
    public void DropoutUniformIsUniformInTheUnitInterval()
    {
        const int count = 100_000;
        var buckets = new int[10];
        for (var i = 0; i < count; i++)
        {
            var u = CpuBackend.DropoutUniform(99, i);
            Assert.InRange(u, 0f, 0.99999994f);
            buckets[(int)(u * 10)]++;
        }

        // Each bucket expects 10,000 with a standard deviation of 95.
        Assert.All(buckets, b => Assert.InRange(b, 9_500, 10_500));
    }
}
