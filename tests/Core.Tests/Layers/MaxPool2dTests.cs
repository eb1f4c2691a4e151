using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class MaxPool2dTests
{
    // Distinct values 0.05 apart: a ±h = 1e-2 nudge never changes which input is a window's maximum.
    [Theory]
    [InlineData(2, 2, 6, 8, 2, null)]
    [InlineData(2, 2, 5, 7, 2, null)] // odd sizes: the last row and column are never read
    [InlineData(2, 2, 7, 9, 3, 2)] // overlapping windows
    public void InputGradientMatchesFiniteDifferences(int batch, int channels, int height, int width, int kernel, int? stride)
    {
        var x = GradientCheck.Distinct(new Rng(31), 0.05f, batch, channels, height, width);
        GradientCheck.CheckLayer(new MaxPool2d(kernel, stride), x, seed: 32);
    }

    [Fact]
    public void OverlappingWindowsSumTheirGradients()
    {
        var layer = new MaxPool2d(3, 2);
        layer.Build([1, 3, 5], new CpuBackend(1));

        // The centre column is the maximum of both windows; its gradient is the sum of both.
        var x = Tensor.FromArray([0, 1, 9, 2, 3, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4], 1, 1, 3, 5);
        var y = layer.Forward(x, training: true);
        var dx = layer.Backward(Tensor.FromArray([10, 20], 1, 1, 1, 2))!;

        Assert.Equal([9f, 9f], y.ToArray());
        Assert.Equal([0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dx.ToArray());
    }
}
