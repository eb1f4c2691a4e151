using Distributed.Core.Compute;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

public class RmsPropTests
{
    /// <summary>The backend the optimizers run on; the ILGPU tests run these same cases on theirs.</summary>
    protected virtual IComputeBackend Backend() => FixedProblem.Backend();

    // All cases: lr = 0.01, α = 0.99, ε = 1e-8. v ← α·v + (1−α)·g².

    [Fact]
    public void Plain_FollowsPublishedFormula()
    {
        // p ← p − lr·g / (√v + ε). Step 1 by hand: √v = 0.1·|g|, so p ← p − 0.1·sign(g).
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new RmsPropOptions { Lr = 0.01 }),
            [
                [0.90000002, -1.90000001, 0.400000003],
                [0.848360251, -1.9373002, 0.398743804],
                [0.881058279, -1.9863145, 0.401268053],
            ]);
    }

    [Fact]
    public void Centered_FollowsPublishedFormula()
    {
        // ḡ ← α·ḡ + (1−α)·g, denominator √(v − ḡ²) + ε. Step 1 by hand: v − ḡ² = 0.0099·g², p ← p − 0.01/√0.0099·sign(g).
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new RmsPropOptions { Lr = 0.01, Centered = true }),
            [
                [0.899496239, -1.89949623, 0.399496221],
                [0.847366051, -1.936853, 0.398233599],
                [0.880215727, -1.98586734, 0.400769978],
            ]);
    }

    [Fact]
    public void Momentum_FollowsPublishedFormula()
    {
        // b ← μ·b + g / (√v + ε), p ← p − lr·b; μ = 0.9.
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new RmsPropOptions { Lr = 0.01, Momentum = 0.9 }),
            [
                [0.90000002, -1.90000001, 0.400000003],
                [0.758360269, -1.84730021, 0.308743807],
                [0.663582521, -1.84888469, 0.229137479],
            ]);
    }

    [Fact]
    public void CenteredWithMomentum_FollowsPublishedFormula()
    {
        FixedProblem.AssertTrajectory(
            (p, g) => Create(p, g, new RmsPropOptions { Lr = 0.01, Momentum = 0.9, Centered = true }),
            [
                [0.899496239, -1.89949623, 0.399496221],
                [0.756912665, -1.8463996, 0.307780198],
                [0.661437126, -1.84762699, 0.227772156],
            ]);
    }

    [Fact]
    public void Centering_ScalesFirstStepByOneOverSqrtAlpha()
    {
        // Step 1: v = (1−α)g², ḡ = (1−α)g, so v − ḡ² = α(1−α)g² and the centered step is the plain one over √α.
        const double alpha = 0.99;
        var plain = FixedProblem.Run((p, g) => Create(p, g, new RmsPropOptions { Lr = 0.01, Alpha = alpha }));
        var centered = FixedProblem.Run((p, g) => Create(p, g, new RmsPropOptions { Lr = 0.01, Alpha = alpha, Centered = true }));
        var start = FixedProblem.InitialParameters;

        for (var i = 0; i < start.Length; i++)
        {
            var plainStep = (double)plain[0][i] - start[i];
            var centeredStep = (double)centered[0][i] - start[i];
            Assert.Equal(1 / Math.Sqrt(alpha), centeredStep / plainStep, 1e-5);
        }
    }

    [Theory]
    [InlineData(0.0, false, 1)]
    [InlineData(0.9, false, 2)]
    [InlineData(0.0, true, 2)]
    [InlineData(0.9, true, 3)]
    public void StateFloatsPerParameter_CountsEachBuffer(double momentum, bool centered, int expected)
    {
        var optimizer = Create(new Tensor(3), new Tensor(3), new RmsPropOptions { Lr = 0.01, Momentum = momentum, Centered = centered });

        Assert.Equal(expected, optimizer.StateFloatsPerParameter);
    }

    [Fact]
    public void Defaults_MatchPyTorch()
    {
        var options = new RmsPropOptions { Lr = 0.01 };

        Assert.Equal(0.99, options.Alpha);
        Assert.Equal(1e-8, options.Epsilon);
        Assert.Equal(0.0, options.Momentum);
        Assert.False(options.Centered);
    }

    private RmsProp Create(Tensor parameters, Tensor gradients, RmsPropOptions options) =>
        new(Backend(), parameters, gradients, options);
}
