using Distributed.Core.Compute;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

public class AdamWTests
{
    /// <summary>The backend the optimizers run on; the ILGPU tests run these same cases on theirs.</summary>
    protected virtual IComputeBackend Backend() => FixedProblem.Backend();

    [Fact]
    public void AdamW_FollowsPublishedFormula()
    {
        // p ← p·(1 − lr·λ), then the Adam step on the raw gradient; lr = 0.1, λ = 0.1, β = (0.9, 0.999), ε = 1e-8.
        // Step 1 by hand: p[0] = 1·0.99 − 0.1 = 0.89, p[1] = −2·0.99 + 0.1 = −1.88.
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new AdamOptions { Lr = 0.1, WeightDecay = 0.1 }),
            [
                [0.890000002, -1.88, 0.395],
                [0.785350987, -1.82663942, 0.323118851],
                [0.728235343, -1.81615074, 0.268991127],
            ]);
    }

    [Fact]
    public void AdamWWithAmsGrad_FollowsPublishedFormula()
    {
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new AdamOptions { Lr = 0.1, WeightDecay = 0.1, AmsGrad = true }),
            [
                [0.890000002, -1.88, 0.395],
                [0.785350987, -1.82663942, 0.323147515],
                [0.728235343, -1.81615074, 0.269050508],
            ]);
    }

    [Fact]
    public void DecayWithZeroGradient_ShrinksByLrLambdaWhereAdamMovesByLr()
    {
        // Decoupled: the only change is p·(1 − lr·λ). Coupled (Adam): g = λ·p is normalized by √v to sign(p),
        // so Adam moves every parameter by a full lr·sign(p) whatever λ is.
        float[] start = [2f, -4f, 0.5f];
        var decoupled = StepOnceWithZeroGradient(start, (p, g, o) => Create(p, g, o));
        var coupled = StepOnceWithZeroGradient(start, (p, g, o) => new Adam(Backend(), p, g, o));

        FixedProblem.AssertClose([2 * 0.99, -4 * 0.99, 0.5 * 0.99], decoupled);
        FixedProblem.AssertClose([1.9, -3.9, 0.4], coupled);
    }

    [Fact]
    public void WithoutDecay_IsBitwiseAdam()
    {
        var adam = FixedProblem.Run((p, g) => new Adam(Backend(), p, g, new AdamOptions { Lr = 0.1 }));
        var adamW = FixedProblem.Run((p, g) => Create(p, g, new AdamOptions { Lr = 0.1 }));

        Assert.Equal(adam, adamW);
    }

    [Fact]
    public void StateFloatsAndName()
    {
        var optimizer = Create(new Tensor(3), new Tensor(3), new AdamOptions { Lr = 0.1, WeightDecay = AdamW.DefaultWeightDecay });

        Assert.Equal(2, optimizer.StateFloatsPerParameter);
        Assert.Equal("adamw", optimizer.Name);
        Assert.Equal(3, Create(new Tensor(3), new Tensor(3), new AdamOptions { Lr = 0.1, AmsGrad = true }).StateFloatsPerParameter);
    }

    private AdamW Create(Tensor parameters, Tensor gradients, AdamOptions options) =>
        new(Backend(), parameters, gradients, options);

    private static float[] StepOnceWithZeroGradient(float[] start, Func<Tensor, Tensor, AdamOptions, Adam> create)
    {
        var parameters = Tensor.FromArray((float[])start.Clone(), start.Length);
        var optimizer = create(parameters, new Tensor(start.Length), new AdamOptions { Lr = 0.1, WeightDecay = 0.1 });
        optimizer.Step();
        return parameters.ToArray();
    }
}
