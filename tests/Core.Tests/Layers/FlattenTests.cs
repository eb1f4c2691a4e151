using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class FlattenTests
{
    [Fact]
    public void InputGradientMatchesFiniteDifferences()
    {
        var x = GradientCheck.Normal(new Rng(51), 1f, 2, 3, 2, 4);
        GradientCheck.CheckLayer(new Flatten(), x, seed: 52);
    }

    [Fact]
    public void ReshapesWithoutCopying()
    {
        var layer = new Flatten();
        Assert.Equal([24], layer.Build([3, 2, 4], new CpuBackend(1)));
        var x = GradientCheck.Normal(new Rng(53), 1f, 2, 3, 2, 4);

        var y = layer.Forward(x, training: true);
        var dx = layer.Backward(y)!;

        Assert.Equal([2, 24], y.Shape.ToArray());
        Assert.Same(x.Storage, y.Storage);
        Assert.Equal([2, 3, 2, 4], dx.Shape.ToArray());
        Assert.Equal(x.ToArray(), dx.ToArray());
    }
}
