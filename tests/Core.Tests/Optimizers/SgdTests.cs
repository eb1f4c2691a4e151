using Distributed.Core.Compute;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

public class SgdTests
{
    /// <summary>The backend the optimizers run on; the ILGPU tests run these same cases on theirs.</summary>
    protected virtual IComputeBackend Backend() => FixedProblem.Backend();

    [Fact]
    public void PlainSgd_FollowsPublishedFormula()
    {
        // p ← p − lr·g, lr = 0.1. Step 1 by hand: 1 − 0.05 = 0.95, −2 + 0.1 = −1.9, 0.5 − 0.4 = 0.1.
        FixedProblem.AssertTrajectory(
            (p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1 }),
            [
                [0.95, -1.9, 0.1],
                [0.92, -1.94, 0.095],
                [0.94, -2.0, 0.105],
            ]);
    }

    [Fact]
    public void MomentumWithDampening_FollowsPublishedFormula()
    {
        // PyTorch: b₁ = g₁ (no dampening on the first step), b_t = μ·b_{t−1} + (1−τ)·g_t, p ← p − lr·b_t;
        // lr = 0.1, μ = 0.9, τ = 0.25. Step 2, p[0] by hand: b = 0.9·0.5 + 0.75·0.3 = 0.675, p = 0.95 − 0.0675.
        FixedProblem.AssertTrajectory(
            (p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1, Momentum = 0.9, Dampening = 0.25 }),
            [
                [0.95, -1.9, 0.1],
                [0.8825, -1.84, -0.26375],
                [0.83675, -1.831, -0.583625],
            ]);
    }

    [Fact]
    public void Nesterov_FollowsPublishedFormula()
    {
        // b as for momentum (τ = 0), then p ← p − lr·(g + μ·b); lr = 0.1, μ = 0.9.
        // Step 1 by hand: b = g, so p ← p − 0.19·g: 1 − 0.095 = 0.905.
        FixedProblem.AssertTrajectory(
            (p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1, Momentum = 0.9, Nesterov = true }),
            [
                [0.905, -1.81, -0.26],
                [0.8075, -1.805, -0.5935],
                [0.78475, -1.8785, -0.87015],
            ]);
    }

    [Fact]
    public void MomentumWithCoupledWeightDecayAndL1_FollowsPublishedFormula()
    {
        // g ← g + λ·p + l1·sign(p) before the momentum update; lr = 0.1, μ = 0.9, λ = 0.1, l1 = 0.05.
        // Step 1, p[0] by hand: g = 0.5 + 0.1 + 0.05 = 0.65, p = 1 − 0.065 = 0.935.
        FixedProblem.AssertTrajectory(
            (p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1, Momentum = 0.9, WeightDecay = 0.1, L1 = 0.05 }),
            [
                [0.935, -1.875, 0.09],
                [0.83215, -1.77875, -0.2899],
                [0.7462635, -1.7293375, -0.613911],
            ]);
    }

    [Fact]
    public void ClippingThenWeightDecay_FollowsPublishedFormula()
    {
        // clip_grad_norm_(max = 1) first, then g ← g + λ·p, then momentum; lr = 0.1, μ = 0.9, λ = 0.1.
        // Step 1 is clipped (‖g‖ = √17.25 ≈ 4.153); step 2 (‖g‖ ≈ 0.502) is not.
        FixedProblem.AssertTrajectory(
            (p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1, Momentum = 0.9, WeightDecay = 0.1, MaxGradNorm = 1 }),
            [
                [0.977961418, -1.95592284, 0.398691341],
                [0.918347079, -1.93669416, 0.298526634],
                [0.875510704, -1.96002141, 0.215393132],
            ]);
    }

    [Fact]
    public void FirstMomentumStep_IgnoresDampening()
    {
        var withDampening = FixedProblem.Run((p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1, Momentum = 0.9, Dampening = 0.5 }));
        var plain = FixedProblem.Run((p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = 0.1 }));

        Assert.Equal(plain[0], withDampening[0]);
    }

    [Fact]
    public void Nesterov_DiffersFromMomentumByLrTimesMuTimesBuffer()
    {
        // After one step b = g, so Nesterov moves further than heavy-ball momentum by exactly lr·μ·g.
        const double lr = 0.1;
        const double mu = 0.9;
        var momentum = FixedProblem.Run((p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = lr, Momentum = mu }));
        var nesterov = FixedProblem.Run((p, g) => new Sgd(Backend(), p, g, new SgdOptions { Lr = lr, Momentum = mu, Nesterov = true }));

        var g1 = FixedProblem.Gradients[0];
        for (var i = 0; i < g1.Length; i++)
        {
            FixedProblem.AssertClose(-lr * mu * g1[i], nesterov[0][i] - momentum[0][i], $"[{i}]");
        }
    }

    [Fact]
    public void WeightDecayWithZeroGradient_ShrinksTowardZeroByLrLambdaP()
    {
        var after = StepOnceWithZeroGradient([2f, -4f, 0f], new SgdOptions { Lr = 0.1, WeightDecay = 0.5 });

        // p − lr·λ·p = p·(1 − 0.05)
        FixedProblem.AssertClose([1.9, -3.8, 0.0], after);
    }

    [Fact]
    public void L1WithZeroGradient_MovesTowardZeroByLrL1SignP()
    {
        var after = StepOnceWithZeroGradient([2f, -4f, 0f], new SgdOptions { Lr = 0.1, L1 = 0.3 });

        // p − lr·l1·sign(p); sign(0) = 0 leaves an exact zero alone.
        FixedProblem.AssertClose([1.97, -3.97, 0.0], after);
    }

    [Fact]
    public void StateFloatsPerParameter_IsZeroWithoutMomentumAndOneWith()
    {
        Assert.Equal(0, Create(new SgdOptions { Lr = 0.1 }).StateFloatsPerParameter);
        Assert.Equal(1, Create(new SgdOptions { Lr = 0.1, Momentum = 0.9 }).StateFloatsPerParameter);
        Assert.Equal(1, Create(new SgdOptions { Lr = 0.1, Momentum = 0.9, Nesterov = true }).StateFloatsPerParameter);
    }

    [Fact]
    public void Name_ReflectsVariant()
    {
        Assert.Equal("sgd", Create(new SgdOptions { Lr = 0.1 }).Name);
        Assert.Equal("momentum", Create(new SgdOptions { Lr = 0.1, Momentum = 0.9 }).Name);
        Assert.Equal("nesterov", Create(new SgdOptions { Lr = 0.1, Momentum = 0.9, Nesterov = true }).Name);
    }

    private Sgd Create(SgdOptions options) => new(Backend(), new Tensor(3), new Tensor(3), options);

    private float[] StepOnceWithZeroGradient(float[] initial, SgdOptions options)
    {
        var parameters = Tensor.FromArray(initial, initial.Length);
        var optimizer = new Sgd(Backend(), parameters, new Tensor(initial.Length), options);
        optimizer.Step();
        return parameters.ToArray();
    }
}
