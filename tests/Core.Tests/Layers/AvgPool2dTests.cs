using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class AvgPool2dTests
{
    [Theory]
    [InlineData(2, 2, 6, 8, 2, null)]
    [InlineData(2, 2, 5, 7, 2, null)] // odd sizes: the last row and column are never read
    [InlineData(2, 2, 7, 9, 3, 2)] // overlapping windows
    public void InputGradientMatchesFiniteDifferences(int batch, int channels, int height, int width, int kernel, int? stride)
    {
        var x = GradientCheck.Normal(new Rng(61), 1f, batch, channels, height, width);
        GradientCheck.CheckLayer(new AvgPool2d(kernel, stride), x, seed: 62);
    }

    [Fact]
    public void OutputIsEachWindowsMean()
    {
        var layer = new AvgPool2d(2);
        layer.Build([1, 2, 4], new Core.Compute.Cpu.CpuBackend(1));

        var y = layer.Forward(Tensor.FromArray([1, 2, 3, 4, 5, 6, 7, 8], 1, 1, 2, 4), training: true);

        Assert.Equal([3.5f, 5.5f], y.ToArray());
        Assert.Equal([1, 1, 2], layer.OutputShape);
    }
}
