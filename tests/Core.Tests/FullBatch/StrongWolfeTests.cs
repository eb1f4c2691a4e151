using Distributed.Core.FullBatch;

namespace Distributed.Core.Tests.FullBatch;

/// <summary>The line search's accepted step satisfies both strong Wolfe conditions, whether it must shrink, grow or step back from an overflow.</summary>
public class StrongWolfeTests
{
    private const double C1 = 1e-4;
    private const double C2 = 0.9;

    [Theory]
    [InlineData(1.0)]
    [InlineData(1e-3)]
    [InlineData(50.0)]
    public async Task TheAcceptedStepSatisfiesStrongWolfeOnRosenbrock(double firstTrial)
    {
        var f = new Rosenbrock();
        double[] x = [-1.2, 1];
        var g = new double[2];
        var f0 = (await f.EvaluateAsync(x, g, default)).Loss;
        double[] d = [-g[0], -g[1]];
        var slope0 = g[0] * d[0] + g[1] * d[1];

        var result = await Search(f, x, d, f0, g, slope0, firstTrial);

        AssertStrongWolfe(result, f0, slope0);
    }

    [Fact]
    public async Task ItGrowsATooShortFirstStep()
    {
        var f = new Quadratic(new double[,] { { 2 } }, [200]);
        double[] x = [0];
        var g = new double[1];
        var f0 = (await f.EvaluateAsync(x, g, default)).Loss;

        var result = await Search(f, x, [1], f0, g, g[0], firstTrial: 1);

        AssertStrongWolfe(result, f0, g[0]);
        Assert.True(result.Point.T >= 10, $"t = {result.Point.T}");
        Assert.True(result.Evaluations > 1);
    }

    [Fact]
    public async Task AnOverflowingTrialIsTooFar()
    {
        var f = new Overflowing();
        double[] x = [0];
        var g = new double[1];
        var f0 = (await f.EvaluateAsync(x, g, default)).Loss;

        var result = await Search(f, x, [1], f0, g, g[0], firstTrial: 10);

        Assert.True(double.IsFinite(result.Point.F));
        AssertStrongWolfe(result, f0, g[0]);
    }

    private static Task<LineSearchResult> Search(IObjective f, double[] x, double[] d, double f0, double[] g0, double slope0, double firstTrial) =>
        StrongWolfe.SearchAsync(f, x, d, new LinePoint(0, new ObjectiveValue(f0, 0), g0, slope0), firstTrial, C1, C2, 25, 1e-12, default);

    private static void AssertStrongWolfe(LineSearchResult result, double f0, double slope0)
    {
        var p = result.Point;
        Assert.True(p.T > 0);
        Assert.True(p.F <= f0 + (C1 * p.T * slope0), $"not enough decrease: f {p.F} at t {p.T}");
        Assert.True(Math.Abs(p.Slope) <= -C2 * slope0, $"slope still steep: {p.Slope} at t {p.T}");
    }

    /// <summary>(x − 1.5)², but +∞ beyond x = 2, as a loss that overflowed.</summary>
    private sealed class Overflowing : IObjective
    {
        public int Dimension => 1;

        public ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel)
        {
            if (x[0] > 2)
            {
                gradient[0] = 0;
                return ValueTask.FromResult(new ObjectiveValue(double.PositiveInfinity, 0));
            }

            gradient[0] = 2 * (x[0] - 1.5);
            return ValueTask.FromResult(new ObjectiveValue((x[0] - 1.5) * (x[0] - 1.5), 0));
        }
    }
}
