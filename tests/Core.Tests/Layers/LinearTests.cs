using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class LinearTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(3, 7, 5)]
    [InlineData(4, 17, 9)]
    public void GradientsMatchFiniteDifferences(int batch, int inFeatures, int outFeatures)
    {
        var x = GradientCheck.Normal(new Rng(11), 1f, batch, inFeatures);
        GradientCheck.CheckLayer(new Linear(outFeatures), x, seed: 12);
    }

    [Fact]
    public void ForwardIsInputTimesWeightTransposedPlusBias()
    {
        var backend = new CpuBackend(1);
        var layer = new Linear(2);
        layer.Build([3], backend);
        var parameters = new ParameterSet(layer.Parameters);
        float[] weight = [1, 2, 3, -1, 0, 4];
        weight.CopyTo(layer.Parameters[0].Value.Span);
        float[] bias = [0.5f, -2f];
        bias.CopyTo(layer.Parameters[1].Value.Span);

        var y = layer.Forward(Tensor.FromArray([1, 1, 1, 2, 0, -1], 2, 3), training: false);

        Assert.Equal([2, 2], y.Shape.ToArray());
        Assert.Equal([6.5f, 1f, -0.5f, -8f], y.ToArray());
        Assert.Equal(8, parameters.Count);
    }

    [Fact]
    public void ParameterGradientsAccumulateAcrossBackwardCalls()
    {
        var backend = new CpuBackend(1);
        var layer = new Linear(3);
        layer.Build([4], backend);
        var parameters = new ParameterSet(layer.Parameters);
        parameters.Initialize(new Rng(1), Initializer.He);
        var x = GradientCheck.Normal(new Rng(2), 1f, 2, 4);
        var dy = GradientCheck.Normal(new Rng(3), 1f, 2, 3);

        backend.Fill(parameters.Gradients, 0f);
        layer.Forward(x, training: true);
        layer.Backward(dy);
        var once = parameters.Gradients.ToArray();
        layer.Backward(dy);

        // The weight GEMM adds one rounded product (exactly 2g); the bias adds row by row, so allow rounding.
        var twice = parameters.Gradients.ToArray();
        for (var i = 0; i < once.Length; i++)
        {
            Assert.Equal(2 * once[i], twice[i], 1e-5f);
        }
    }

    [Fact]
    public void FirstLayerSkipsInputGradientButKeepsParameterGradients()
    {
        var backend = new CpuBackend(1);
        var layer = new Linear(3) { ComputeInputGradient = false };
        layer.Build([4], backend);
        var parameters = new ParameterSet(layer.Parameters);
        parameters.Initialize(new Rng(1), Initializer.He);
        backend.Fill(parameters.Gradients, 0f);
        layer.Forward(GradientCheck.Normal(new Rng(2), 1f, 2, 4), training: true);

        Assert.Null(layer.Backward(GradientCheck.Normal(new Rng(3), 1f, 2, 3)));
        Assert.Contains(parameters.Gradients.ToArray(), g => g != 0f);
    }
}
