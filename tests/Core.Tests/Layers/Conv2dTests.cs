using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class Conv2dTests
{
    [Theory]
    [InlineData(2, 2, 5, 7, 3, 3, 2, 1)] // non-square input, stride 2, padding 1
    [InlineData(2, 2, 5, 7, 3, 3, 1, 0)] // valid convolution
    [InlineData(1, 3, 6, 6, 2, 3, 1, 1)] // "same" padding
    [InlineData(3, 1, 4, 5, 2, 2, 2, 0)] // even kernel, stride equal to kernel
    [InlineData(2, 2, 3, 4, 4, 1, 1, 0)] // 1×1 kernel
    public void GradientsMatchFiniteDifferences(int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding)
    {
        var x = GradientCheck.Normal(new Rng(21), 1f, batch, channels, height, width);
        GradientCheck.CheckLayer(new Conv2d(outChannels, kernel, stride, padding), x, seed: 22);
    }

    [Fact]
    public void OutputShapeFollowsConvolutionArithmetic()
    {
        var layer = new Conv2d(3, 3, stride: 2, padding: 1);

        var output = layer.Build([2, 5, 7], new CpuBackend(1));

        Assert.Equal([3, 3, 4], output);
        Assert.Equal([3, 2, 3, 3], layer.Parameters[0].Shape);
        Assert.Equal([3], layer.Parameters[1].Shape);
    }
}
