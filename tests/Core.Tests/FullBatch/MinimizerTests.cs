using Distributed.Core.FullBatch;
using Xunit.Abstractions;

namespace Distributed.Core.Tests.FullBatch;

/// <summary>Each method on the classic test problems: Rosenbrock's banana and convex quadratics.</summary>
public class MinimizerTests(ITestOutputHelper output)
{
    /// <summary>Tighter than the CLI's defaults, so "converged" means within 1e-6 of (1, 1) and not merely close.</summary>
    private static readonly FullBatchOptions Tight = new() { GradientTolerance = 1e-10, ChangeTolerance = 1e-14 };

    /// <summary>
    /// From the textbook start (−1.2, 1). Iterations and evaluations of f and ∇f, as measured (the README quotes
    /// them): lbfgs 36 iterations and 45 evaluations, cg 23 and 65, newton 21 and 28 (and 44 Hessian-vector products).
    /// </summary>
    [Theory]
    [InlineData("lbfgs", 60)]
    [InlineData("cg", 200)]
    [InlineData("newton", 60)]
    public async Task RosenbrockReachesTheMinimum(string method, int maxIterations)
    {
        var f = new Rosenbrock();
        var minimizer = FullBatchMinimizer.Create(method, f, [-1.2, 1], Tight);

        while (!minimizer.Converged && minimizer.Iterations < maxIterations)
        {
            await minimizer.StepAsync();
        }

        output.WriteLine($"{method}: {minimizer.Iterations} iterations, {minimizer.Evaluations} evaluations, {minimizer.HessianProducts} Hessian products, x = ({minimizer.X[0]:R}, {minimizer.X[1]:R})");
        Assert.True(minimizer.Converged, $"{method} did not converge in {maxIterations} iterations");
        Assert.InRange(minimizer.X[0], 1 - 1e-6, 1 + 1e-6);
        Assert.InRange(minimizer.X[1], 1 - 1e-6, 1 + 1e-6);
        Assert.Equal(f.Calls, minimizer.Evaluations);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(12)]
    public async Task CgWithExactLineSearchSolvesAQuadraticInAtMostNIterations(int n)
    {
        var q = Quadratic.Random(n, seed: n);

        // A tiny c2 makes the strong Wolfe search exact: on a quadratic its cubic interpolation is the line's minimum.
        var minimizer = new ConjugateGradient(q, new double[n], new FullBatchOptions { C1 = 1e-12, CgC2 = 1e-10, GradientTolerance = 1e-10, ChangeTolerance = 0 });
        while (!minimizer.Converged && minimizer.Iterations < n)
        {
            await minimizer.StepAsync();
        }

        var g = new double[n];
        await q.EvaluateAsync(minimizer.X, g, default);
        Assert.True(g.Max(Math.Abs) < 1e-8, $"‖∇f‖∞ = {g.Max(Math.Abs):E2} after {minimizer.Iterations} iterations");
        Assert.True(minimizer.Iterations <= n);
    }

    [Fact]
    public async Task NewtonSolvesAQuadraticInOneStep()
    {
        var q = Quadratic.Random(8, seed: 3);
        var minimizer = new NewtonCg(q, new double[8], new FullBatchOptions { NewtonTolerance = 1e-12, MaxNewtonIterations = 50 });

        await minimizer.StepAsync();

        var g = new double[8];
        await q.EvaluateAsync(minimizer.X, g, default);
        Assert.True(g.Max(Math.Abs) < 1e-9, $"‖∇f‖∞ = {g.Max(Math.Abs):E2}");
        Assert.Equal(1, minimizer.Iterations);
        Assert.Equal(2, minimizer.Evaluations);
    }

    [Fact]
    public void NewtonRefusesAnObjectiveWithoutCurvature()
    {
        var ex = Assert.Throws<ArgumentException>(() => new NewtonCg(new GradientOnly(), [0.0], new FullBatchOptions()));
        Assert.Contains("Hessian-vector products", ex.Message);
    }

    [Fact]
    public void BadOptionsAreRefusedNamingThem()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lbfgs(new Rosenbrock(), [0.0, 0], new FullBatchOptions { History = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Lbfgs(new Rosenbrock(), [0.0, 0], new FullBatchOptions { C1 = 0.95 }));
        Assert.Throws<ArgumentException>(() => FullBatchMinimizer.Create("bfgs", new Rosenbrock(), [0.0, 0], new FullBatchOptions()));
    }

    [Fact]
    public async Task AConvergedMinimizerOnlyReports()
    {
        var minimizer = new Lbfgs(new Rosenbrock(), [1.0, 1], new FullBatchOptions());

        var report = await minimizer.StepAsync();

        Assert.True(report.Converged);
        Assert.Equal(0, report.Loss);
        Assert.Equal(1, report.Evaluations);
        Assert.Equal(0, (await minimizer.StepAsync()).Evaluations);
    }

    private sealed class GradientOnly : IObjective
    {
        public int Dimension => 1;

        public ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel) => ValueTask.FromResult(new ObjectiveValue(0, 0));
    }
}
