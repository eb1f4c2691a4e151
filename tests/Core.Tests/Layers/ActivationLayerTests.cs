using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class ActivationLayerTests
{
    public static TheoryData<string> Kinds => new() { "leaky", "tanh", "sigmoid", "gelu" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void InputGradientMatchesFiniteDifferences(string kind)
    {
        // |x| ≥ 0.1 > h, so no perturbation crosses LeakyReLU's kink at 0; the others are smooth.
        var x = GradientCheck.Normal(new Rng(51), 1.5f, 3, 2, 4, 5);
        var s = x.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = s[i] >= 0 ? s[i] + 0.1f : s[i] - 0.1f;
        }

        GradientCheck.CheckLayer(Create(kind), x, seed: 52);
    }

    [Fact]
    public void LeakyReluScalesNegativesBySlope()
    {
        var layer = new LeakyReLU(0.25f);
        layer.Build([4], new Core.Compute.Cpu.CpuBackend(1));

        var y = layer.Forward(Tensor.FromArray([-2, 0, 0.5f, 2], 1, 4), training: true);
        var dx = layer.Backward(Tensor.FromArray([1, 1, 1, 1], 1, 4))!;

        Assert.Equal([-0.5f, 0, 0.5f, 2], y.ToArray());
        Assert.Equal([0.25f, 0.25f, 1, 1], dx.ToArray());
    }

    private static Layer Create(string kind) => kind switch
    {
        "leaky" => new LeakyReLU(0.1f),
        "tanh" => new Tanh(),
        "sigmoid" => new Sigmoid(),
        _ => new GELU(),
    };
}
