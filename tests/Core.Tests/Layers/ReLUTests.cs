using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class ReLUTests
{
    [Fact]
    public void InputGradientMatchesFiniteDifferences()
    {
        // |x| ≥ 0.1 > h, so no perturbation crosses the kink at 0.
        var x = GradientCheck.Normal(new Rng(41), 1f, 3, 2, 4, 5);
        var s = x.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = s[i] >= 0 ? s[i] + 0.1f : s[i] - 0.1f;
        }

        GradientCheck.CheckLayer(new ReLU(), x, seed: 42);
    }

    [Fact]
    public void ZeroInputPassesNoGradient()
    {
        var layer = new ReLU();
        layer.Build([4], new CpuBackend(1));

        var y = layer.Forward(Tensor.FromArray([-1, 0, 0.5f, 2], 1, 4), training: true);
        var dx = layer.Backward(Tensor.FromArray([1, 1, 1, 1], 1, 4))!;

        Assert.Equal([0, 0, 0.5f, 2], y.ToArray());
        Assert.Equal([0, 0, 1, 1], dx.ToArray());
    }
}
