using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Losses;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Layers;

public sealed class SequentialTests
{
    /// <summary>
    /// Hidden pre-activations and pool windows cannot be kept away from kinks by choosing inputs, and with the
    /// default h = 1e-2 a few nudges (4 of 133 weights for these seeds) move a hidden unit across a ReLU zero or
    /// swap a pool maximum. h = 1e-3 crosses none here, and float32 noise over 2h stays near 1e-4 ≪ 1e-3.
    /// </summary>
    private const float KinkSafeStep = 1e-3f;

    private static Sequential SmallConvNet() => new(
        new Conv2d(3, 3, stride: 1, padding: 1),
        new ReLU(),
        new MaxPool2d(2),
        new Flatten(),
        new Linear(4));

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = GradientCheck.Normal(new Rng(71), 1f, 2, 2, 6, 5);
        GradientCheck.CheckLayer(SmallConvNet(), x, seed: 72, KinkSafeStep);
    }

    [Fact]
    public void GradientsThroughCrossEntropyMatchFiniteDifferences()
    {
        var backend = new CpuBackend(1);
        var model = SmallConvNet();
        model.Build([2, 6, 5], backend);
        var parameters = new ParameterSet(model.Parameters);
        parameters.Initialize(new Rng(73), Initializer.He);
        var loss = new SoftmaxCrossEntropy(backend);
        var x = GradientCheck.Normal(new Rng(74), 1f, 3, 2, 6, 5);
        var targets = Tensor.FromArray([0, 3, 1], 3);
        double Objective() => loss.Compute(model.Forward(x, training: true), targets, meanOver: 3);

        backend.Fill(parameters.Gradients, 0f);
        Objective();
        var dx = model.Backward(loss.Gradient)!.ToArray();
        var dTheta = parameters.Gradients.ToArray();

        GradientCheck.AssertGradient(x, dx, Objective, "dx", KinkSafeStep);
        GradientCheck.AssertGradient(parameters.Values, dTheta, Objective, "dθ", KinkSafeStep);
    }

    [Fact]
    public void ParametersAreTheLayersParametersInOrder()
    {
        var model = SmallConvNet();
        model.Build([2, 6, 5], new CpuBackend(1));

        Assert.Equal(["weight", "bias", "weight", "bias"], model.Parameters.Select(p => p.Name));
        Assert.Equal([4], model.OutputShape);
        Assert.Same(model.Layers[0].Parameters[0], model.Parameters[0]);
        Assert.Same(model.Layers[4].Parameters[1], model.Parameters[3]);
    }

    [Fact]
    public void ClearedFlagBeforeBuildSkipsTheFirstLayersInputGradient()
    {
        var backend = new CpuBackend(1);
        var model = SmallConvNet();
        model.ComputeInputGradient = false;
        model.Build([2, 6, 5], backend);
        var parameters = new ParameterSet(model.Parameters);
        parameters.Initialize(new Rng(75), Initializer.He);
        backend.Fill(parameters.Gradients, 0f);

        model.Forward(GradientCheck.Normal(new Rng(76), 1f, 2, 2, 6, 5), training: true);
        var dx = model.Backward(GradientCheck.Normal(new Rng(77), 1f, 2, 4));

        Assert.False(model.Layers[0].ComputeInputGradient);
        Assert.True(model.Layers[1].ComputeInputGradient);
        Assert.Null(dx);
        var firstWeightGrad = model.Layers[0].Parameters[0].Grad.ToArray();
        Assert.Contains(firstWeightGrad, g => g != 0f);
    }

    [Fact]
    public void DefaultFlagReturnsTheInputGradient()
    {
        var backend = new CpuBackend(1);
        var model = SmallConvNet();
        model.Build([2, 6, 5], backend);
        new ParameterSet(model.Parameters).Initialize(new Rng(78), Initializer.He);

        model.Forward(GradientCheck.Normal(new Rng(79), 1f, 2, 2, 6, 5), training: true);
        var dx = model.Backward(GradientCheck.Normal(new Rng(80), 1f, 2, 4));

        Assert.True(model.Layers[0].ComputeInputGradient);
        Assert.NotNull(dx);
        Assert.Equal([2, 2, 6, 5], dx.Shape.ToArray());
    }
}
