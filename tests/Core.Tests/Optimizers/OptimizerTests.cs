using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

/// <summary>What the base class owns for every optimizer: clipping, penalties' order, schedules, slices, ZeroGrad.</summary>
public sealed class OptimizerTests
{
    [Fact]
    public void Clipping_GradientAboveMaxNorm_GivesTheUpdateOfThePreScaledGradient()
    {
        // ‖(6, 8, 0)‖ = 10; clip_grad_norm_ scales by 1/(10 + 1e-6).
        var clipped = SgdStepOnce([6f, 8f, 0f], new SgdOptions { Lr = 0.1, MaxGradNorm = 1 }, out var optimizer);
        var scale = 1 / (10 + 1e-6);
        var preScaled = SgdStepOnce([(float)(6 * scale), (float)(8 * scale), 0f], new SgdOptions { Lr = 0.1 }, out _);

        FixedProblem.AssertClose([1 - (0.1 * 6 * scale), 2 - (0.1 * 8 * scale), 3], clipped);
        FixedProblem.AssertClose(preScaled.Select(x => (double)x).ToArray(), clipped);
        Assert.Equal(10.0, optimizer.LastGradNorm, 1e-9);
    }

    [Fact]
    public void Clipping_GradientBelowMaxNorm_IsUnchanged()
    {
        // ‖(0.3, 0.4, 0)‖ = 0.5 < 1.
        var clipped = SgdStepOnce([0.3f, 0.4f, 0f], new SgdOptions { Lr = 0.1, MaxGradNorm = 1 }, out var optimizer);
        var unclipped = SgdStepOnce([0.3f, 0.4f, 0f], new SgdOptions { Lr = 0.1 }, out var plain);

        Assert.Equal(unclipped, clipped);
        Assert.Equal(0.5, optimizer.LastGradNorm, 1e-7);
        Assert.True(double.IsNaN(plain.LastGradNorm));
    }

    [Fact]
    public void Clipping_HappensBeforeWeightDecayIsAdded()
    {
        // p = (1, 2, 3), g = (6, 8, 0), λ = 0.5: clip g to (0.6, 0.8, 0) first, then add λ·p.
        // Clipping after the decay would instead scale (6.5, 9, 1.5) to unit norm.
        var after = SgdStepOnce([6f, 8f, 0f], new SgdOptions { Lr = 0.1, MaxGradNorm = 1, WeightDecay = 0.5 }, out _);
        var scale = 1 / (10 + 1e-6);

        FixedProblem.AssertClose([1 - (0.1 * ((6 * scale) + 0.5)), 2 - (0.1 * ((8 * scale) + 1.0)), 3 - (0.1 * 1.5)], after);
    }

    [Fact]
    public void Clipping_UsesTheGlobalNormAcrossShards()
    {
        // Two shards of one gradient (6, 8 | 0, 0): each shard's optimizer sees only its slice, the caller sums
        // their Σg² (what the all-reduce does across ranks), and the result matches one unsharded optimizer.
        var whole = Tensor.FromArray([1f, 2f, 3f, 4f], 4);
        var wholeGrad = Tensor.FromArray([0f, 0f, 6f, 8f], 4);
        new Sgd(FixedProblem.Backend(), whole, wholeGrad, new SgdOptions { Lr = 0.1, MaxGradNorm = 1 }).Step();

        var sharded = Tensor.FromArray([1f, 2f, 3f, 4f], 4);
        var shardedGrad = Tensor.FromArray([0f, 0f, 6f, 8f], 4);
        var first = new Sgd(FixedProblem.Backend(), sharded.Slice(0, 2), shardedGrad.Slice(0, 2), new SgdOptions { Lr = 0.1, MaxGradNorm = 1 });
        var second = new Sgd(FixedProblem.Backend(), sharded.Slice(2, 2), shardedGrad.Slice(2, 2), new SgdOptions { Lr = 0.1, MaxGradNorm = 1 });
        var global = first.LocalSumOfSquares() + second.LocalSumOfSquares();
        first.Step(global);
        second.Step(global);

        Assert.Equal(whole.ToArray(), sharded.ToArray());
        Assert.Equal(10.0, first.LastGradNorm, 1e-9);
        Assert.Equal(10.0, second.LastGradNorm, 1e-9);
    }

    [Fact]
    public void AGlobalSumOfSquares_WithoutClippingStepsAsPlainStepDoes()
    {
        // The trainers always pass Σg² (the non-finite check needs it); without clipping it changes nothing.
        var plain = new Adam(FixedProblem.Backend(), Tensor.FromArray([1f, -2f], 2), Tensor.FromArray([0.5f, 0.25f], 2), new AdamOptions { Lr = 0.1 });
        var given = new Adam(FixedProblem.Backend(), Tensor.FromArray([1f, -2f], 2), Tensor.FromArray([0.5f, 0.25f], 2), new AdamOptions { Lr = 0.1 });

        plain.Step();
        given.Step(123.0);

        Assert.Equal(plain.State.Select(s => s.Values.ToArray()), given.State.Select(s => s.Values.ToArray()));
        Assert.Equal(["m", "v"], given.State.Select(s => s.Name));
        Assert.Equal(1, given.StepCount);
    }

    [Fact]
    public void LastLr_ReportsTheScheduledRateForAdaptiveOptimizersToo()
    {
        var optimizer = new Adam(FixedProblem.Backend(), new Tensor(2), new Tensor(2), new AdamOptions { Lr = 0.01 }, new WarmupSchedule(4, new ConstantSchedule()));

        Assert.Equal(0.0, optimizer.LastLr);
        Assert.Equal(0, optimizer.StepCount);
        optimizer.Step();
        Assert.Equal(0.0025, optimizer.LastLr, 1e-15);
        optimizer.Step();
        Assert.Equal(0.005, optimizer.LastLr, 1e-15);
    }

    [Fact]
    public void NoSchedule_MeansConstantRate()
    {
        var optimizer = new Sgd(FixedProblem.Backend(), new Tensor(1), new Tensor(1), new SgdOptions { Lr = 0.3 });

        Assert.IsType<ConstantSchedule>(optimizer.Schedule);
        for (var t = 0; t < 3; t++)
        {
            optimizer.Step();
            Assert.Equal(0.3, optimizer.LastLr);
        }
    }

    [Fact]
    public void ZeroGrad_ZeroesOnlyItsGradients()
    {
        var buffer = Tensor.FromArray([1f, 2f, 3f, 4f, 5f], 5);
        var optimizer = new Adam(FixedProblem.Backend(), new Tensor(3), buffer.Slice(1, 3), new AdamOptions { Lr = 0.1 });

        optimizer.ZeroGrad();

        Assert.Equal([1f, 0f, 0f, 0f, 5f], buffer.ToArray());
    }

    [Theory]
    [InlineData("sgd")]
    [InlineData("nesterov")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void OptimizerOverASlice_TouchesOnlyThatSlice(string kind)
    {
        // How a ZeRO shard uses an optimizer: parameters and gradients are views into flat buffers.
        var parameters = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 8);
        var gradients = Tensor.FromArray([1f, 1f, 1f, 1f, 1f, 1f, 1f, 1f], 8);
        var optimizer = OptimizerFactory.Create(kind, parameters.Slice(3, 3), gradients.Slice(3, 3), lr: 0.1, weightDecay: 0.1);

        optimizer.Step();
        optimizer.Step();

        var p = parameters.ToArray();
        Assert.Equal([1f, 2f, 3f], p[..3]);
        Assert.Equal([7f, 8f], p[6..]);
        Assert.All(p[3..6], (x, i) => Assert.True(x < 4 + i, $"sliced parameter {3 + i} did not move"));
        Assert.Equal([1f, 1f, 1f], gradients.ToArray()[..3]);
        Assert.Equal([1f, 1f], gradients.ToArray()[6..]);
    }

    [Fact]
    public void OptimizerOverASlice_MatchesTheSameOptimizerOverACopy()
    {
        var buffer = Tensor.FromArray([9f, 9f, 1f, -2f, 0.5f, 9f], 6);
        var gradBuffer = new Tensor(6);
        var sliced = new Adam(FixedProblem.Backend(), buffer.Slice(2, 3), gradBuffer.Slice(2, 3), new AdamOptions { Lr = 0.1 });
        var expected = FixedProblem.Run((p, g) => new Adam(FixedProblem.Backend(), p, g, new AdamOptions { Lr = 0.1 }));

        foreach (var (g, want) in FixedProblem.Gradients.Zip(expected))
        {
            g.CopyTo(gradBuffer.Slice(2, 3).Span);
            sliced.Step();
            Assert.Equal(want, buffer.Slice(2, 3).ToArray());
        }

        Assert.Equal([9f, 9f], buffer.ToArray()[..2]);
        Assert.Equal(9f, buffer[5]);
    }

    [Fact]
    public void MismatchedLengths_Throw()
    {
        Assert.Throws<ArgumentException>(() => new Sgd(FixedProblem.Backend(), new Tensor(3), new Tensor(4), new SgdOptions { Lr = 0.1 }));
    }

    private static float[] SgdStepOnce(float[] gradient, SgdOptions options, out Sgd optimizer)
    {
        var parameters = Tensor.FromArray([1f, 2f, 3f], 3);
        optimizer = new Sgd(FixedProblem.Backend(), parameters, Tensor.FromArray(gradient, 3), options);
        optimizer.Step();
        return parameters.ToArray();
    }
}
