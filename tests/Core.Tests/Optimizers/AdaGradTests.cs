using Distributed.Core.Compute;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

public class AdaGradTests
{
    /// <summary>The backend the optimizers run on; the ILGPU tests run these same cases on theirs.</summary>
    protected virtual IComputeBackend Backend() => FixedProblem.Backend();

    [Fact]
    public void AdaGrad_FollowsPublishedFormula()
    {
        // s ← s + g², p ← p − lr·g / (√s + ε); lr = 0.1, ε = 1e-10, s₀ = 0.
        // Step 1 by hand: g/√(g²) = sign(g), so p ← p − 0.1·sign(g).
        FixedProblem.AssertTrajectory(
            (p, g) => new AdaGrad(Backend(), p, g, new AdaGradOptions { Lr = 0.1 }),
            [
                [0.9, -1.9, 0.4],
                [0.848550424, -1.93713907, 0.398750098],
                [0.880994709, -1.98580549, 0.401249122],
            ]);
    }

    [Fact]
    public void AdaGradWithInitialAccumulator_FollowsPublishedFormula()
    {
        // As above with s₀ = 0.5. Step 1, p[0] by hand: 1 − 0.1·0.5/√0.75 = 0.942264973.
        FixedProblem.AssertTrajectory(
            (p, g) => new AdaGrad(Backend(), p, g, new AdaGradOptions { Lr = 0.1, InitialAccumulator = 0.5 }),
            [
                [0.942264973, -1.91835034, 0.401526807],
                [0.90953229, -1.94939636, 0.400295986],
                [0.930852361, -1.99161222, 0.402756883],
            ]);
    }

    [Fact]
    public void CoupledWeightDecayWithZeroGradient_FirstStepMovesByLrTimesSignP()
    {
        // g = λ·p, s = λ²p², so the step is lr·λp/|λp| = lr·sign(p) whatever λ is.
        var parameters = Tensor.FromArray([2f, -4f], 2);
        var optimizer = new AdaGrad(Backend(), parameters, new Tensor(2), new AdaGradOptions { Lr = 0.1, WeightDecay = 0.01 });

        optimizer.Step();

        FixedProblem.AssertClose([1.9, -3.9], parameters.ToArray());
    }

    [Fact]
    public void Defaults_MatchPyTorch()
    {
        var options = new AdaGradOptions { Lr = 0.01 };

        Assert.Equal(1e-10, options.Epsilon);
        Assert.Equal(0.0, options.InitialAccumulator);
    }

    [Fact]
    public void StateFloatsPerParameter_IsOne()
    {
        var optimizer = new AdaGrad(Backend(), new Tensor(3), new Tensor(3), new AdaGradOptions { Lr = 0.1 });

        Assert.Equal(1, optimizer.StateFloatsPerParameter);
        Assert.Equal("adagrad", optimizer.Name);
    }
}
