using Distributed.Core.Compute;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

public class AdamTests
{
    /// <summary>The backend the optimizers run on; the ILGPU tests run these same cases on theirs.</summary>
    protected virtual IComputeBackend Backend() => FixedProblem.Backend();

    // All cases: lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8.
    // m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).

    [Fact]
    public void Adam_FollowsPublishedFormula()
    {
        // Step 1 by hand: the bias-corrected m/√v is g/|g|, so p ← p − 0.1·sign(g) (up to ε).
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new AdamOptions { Lr = 0.1 }),
            [
                [0.900000002, -1.9, 0.4],
                [0.804250987, -1.86543942, 0.332068851],
                [0.754988853, -1.87321714, 0.281172315],
            ]);
    }

    [Fact]
    public void AmsGrad_FollowsPublishedFormula()
    {
        // v̂ ← max(v̂, v) replaces v in the denominator. Only p[2] differs from plain Adam: its v falls at step 2.
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new AdamOptions { Lr = 0.1, AmsGrad = true }),
            [
                [0.900000002, -1.9, 0.4],
                [0.804250987, -1.86543942, 0.332097515],
                [0.754988853, -1.87321714, 0.281231983],
            ]);
    }

    [Fact]
    public void CoupledWeightDecay_FollowsPublishedFormula()
    {
        // g ← g + λ·p before the moments, λ = 0.1. Step 1 is still lr·sign(g): Adam normalizes the sum.
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new AdamOptions { Lr = 0.1, WeightDecay = 0.1 }),
            [
                [0.900000002, -1.9, 0.4],
                [0.803258894, -1.84683189, 0.331356674],
                [0.740049218, -1.8285667, 0.279357739],
            ]);
    }

    [Fact]
    public void AmsGrad_MatchesAdamWhileVGrowsAndStepsLessOnceVFalls()
    {
        // v[0] and v[1] grow at every step, so max(v̂, v) = v and those parameters are bit-for-bit Adam's.
        // v[2] = 0.016 after step 1 and 0.0159865 after step 2: AMSGrad keeps the larger one, a smaller step.
        var adam = FixedProblem.Run((p, g) => Create(p, g, new AdamOptions { Lr = 0.1 }));
        var amsGrad = FixedProblem.Run((p, g) => Create(p, g, new AdamOptions { Lr = 0.1, AmsGrad = true }));

        for (var t = 0; t < adam.Length; t++)
        {
            Assert.Equal(adam[t][0], amsGrad[t][0]);
            Assert.Equal(adam[t][1], amsGrad[t][1]);
        }

        Assert.Equal(adam[0][2], amsGrad[0][2]);
        var adamStep2 = Math.Abs(adam[1][2] - adam[0][2]);
        var amsGradStep2 = Math.Abs(amsGrad[1][2] - amsGrad[0][2]);
        Assert.True(amsGradStep2 < adamStep2, $"AMSGrad step {amsGradStep2} should be below Adam's {adamStep2}");

        // The ratio of the two steps is exactly √(v₂/v₁) = √(0.0159865/0.016) since m and the bias corrections agree.
        Assert.Equal(Math.Sqrt(0.0159865 / 0.016), amsGradStep2 / adamStep2, 1e-5);
    }

    [Fact]
    public void FirstStep_IsLrTimesSignOfGradientWhateverItsScale()
    {
        var parameters = Tensor.FromArray([0f, 0f, 0f], 3);
        var gradients = Tensor.FromArray([1e-3f, -50f, 7f], 3);
        var optimizer = Create(parameters, gradients, new AdamOptions { Lr = 0.01 });

        optimizer.Step();

        FixedProblem.AssertClose([-0.01, 0.01, -0.01], parameters.ToArray());
    }

    /// <summary>
    /// For a constant gradient m̂ = g and v̂ = g² at every step, so Adam moves by exactly lr·sign(g) (up to ε).
    /// This pins the precision of the bias correction: it must be computed from the same float β the moments use,
    /// otherwise for β2 = 0.999 every early step is ~6.4e-6 too large (and 8.3e-5 for β2 = 0.9999).
    /// </summary>
    [Theory]
    [InlineData(0.9)]
    [InlineData(0.99)]
    [InlineData(0.999)]
    [InlineData(0.9999)]
    public void ConstantGradient_EveryStepIsExactlyLr(double beta2)
    {
        var parameters = Tensor.FromArray([0f, 0f], 2);
        var gradients = new Tensor(2);
        var optimizer = Create(parameters, gradients, new AdamOptions { Lr = 1, Beta2 = beta2 });

        for (var t = 1; t <= 5; t++)
        {
            gradients[0] = 1f;
            gradients[1] = -1f;
            optimizer.Step();
            FixedProblem.AssertClose([-t, t], parameters.ToArray(), $"β2 = {beta2}, step {t}");
        }
    }

    [Fact]
    public void StateFloatsPerParameter_IsTwoOrThreeWithAmsGrad()
    {
        Assert.Equal(2, Create(new Tensor(3), new Tensor(3), new AdamOptions { Lr = 0.1 }).StateFloatsPerParameter);
        Assert.Equal(3, Create(new Tensor(3), new Tensor(3), new AdamOptions { Lr = 0.1, AmsGrad = true }).StateFloatsPerParameter);
    }

    [Fact]
    public void Defaults_MatchPyTorch()
    {
        var options = new AdamOptions { Lr = 1e-3 };

        Assert.Equal(0.9, options.Beta1);
        Assert.Equal(0.999, options.Beta2);
        Assert.Equal(1e-8, options.Epsilon);
        Assert.False(options.AmsGrad);
        Assert.Equal(0.0, options.WeightDecay);
    }

    private Adam Create(Tensor parameters, Tensor gradients, AdamOptions options) =>
        new(Backend(), parameters, gradients, options);
}
