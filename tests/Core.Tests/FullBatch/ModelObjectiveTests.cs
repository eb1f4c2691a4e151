using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.FullBatch;
using Distributed.Core.Models;

namespace Distributed.Core.Tests.FullBatch;

/// <summary>
/// The model as a closure: its gradient and Hessian-vector products against finite differences (logreg is
/// Linear + softmax cross-entropy, both gradient-checked on their own already; what is new is the curvature
/// product and the chunked sum), and Newton on linreg.
/// </summary>
public class ModelObjectiveTests
{
    private static readonly Dataset Classes = SyntheticData.Create([6], classes: 4, count: 37, seed: 4);

    [Theory]
    [InlineData("logreg")]
    [InlineData("linreg")]
    public async Task GradientMatchesFiniteDifferencesOfTheLoss(string name)
    {
        var (model, data) = Build(name);
        var f = new ModelObjective(model, data, chunk: 8);
        var x = Parameters.Read(model);
        var g = new double[x.Length];
        await f.EvaluateAsync(x, g, default);

        foreach (var i in Coordinates(x.Length))
        {
            var numeric = (await LossAt(f, x, i, GradientCheck.DefaultStep) - await LossAt(f, x, i, -GradientCheck.DefaultStep)) / (2 * GradientCheck.DefaultStep);
            Assert.True(Math.Abs(g[i] - numeric) <= (GradientCheck.Relative * Math.Max(Math.Abs(g[i]), Math.Abs(numeric))) + GradientCheck.Absolute, $"∂f/∂x[{i}]: {g[i]} vs {numeric}");
        }
    }

    [Theory]
    [InlineData("logreg")]
    [InlineData("linreg")]
    public async Task HessianTimesMatchesFiniteDifferencesOfTheGradient(string name)
    {
        var (model, data) = Build(name);
        var f = new ModelObjective(model, data, chunk: 8);
        var x = Parameters.Read(model);
        var random = new Random(7);
        var v = Enumerable.Range(0, x.Length).Select(_ => random.NextDouble() - 0.5).ToArray();
        var hv = new double[x.Length];
        await f.AtAsync(x, default);
        await f.HessianTimesAsync(v, hv, default);

        const double h = 1e-2;
        var plus = new double[x.Length];
        var minus = new double[x.Length];
        await f.EvaluateAsync(x.Select((xi, i) => xi + h * v[i]).ToArray(), plus, default);
        await f.EvaluateAsync(x.Select((xi, i) => xi - h * v[i]).ToArray(), minus, default);
        for (var i = 0; i < x.Length; i++)
        {
            var numeric = (plus[i] - minus[i]) / (2 * h);
            Assert.True(Math.Abs(hv[i] - numeric) <= (1e-2 * Math.Max(Math.Abs(hv[i]), Math.Abs(numeric))) + 1e-4, $"(∇²f·v)[{i}]: {hv[i]} vs {numeric}");
        }
    }

    [Fact]
    public async Task ChunksSumToTheWholeSet()
    {
        var (model, data) = Build("logreg");
        var x = Parameters.Read(model);
        var whole = new double[x.Length];
        var chunked = new double[x.Length];

        var f1 = await new ModelObjective(model, data).EvaluateAsync(x, whole, default);
        var f2 = await new ModelObjective(model, data, chunk: 5).EvaluateAsync(x, chunked, default);

        Assert.Equal(f1.Loss, f2.Loss, 1e-6);
        Assert.Equal(f1.Correct, f2.Correct);
        Assert.True(whole.Zip(chunked, (a, b) => Math.Abs(a - b)).Max() <= 1e-6);
    }

    /// <summary>linreg's loss is quadratic: one Newton step (its inner CG exact in two products) lands on y = 2x.</summary>
    [Fact]
    public async Task NewtonSolvesLinregInOneStep()
    {
        var data = LinearRegressionData.Builtin();
        var model = ModelZoo.Create("linreg", data.SampleShape, data.TargetLength, new CpuBackend(1), new ModelOptions(1));
        var newton = new FullBatchSettings("newton", new FullBatchOptions(), WeightDecay: 0).Create(new ModelObjective(model, data), Parameters.Read(model));

        var first = await newton.StepAsync();

        Assert.True(first.Loss > 1, $"the start is already good (loss {first.Loss})");
        Assert.Equal(1, first.StepLength);
        Assert.Equal(2, first.Evaluations);
        Assert.InRange(newton.X[0], 2 - 1e-5, 2 + 1e-5);
        Assert.InRange(newton.X[1], -1e-5, 1e-5);
    }

    [Fact]
    public void NewtonIsRefusedForAModelNotLinearInItsParameters()
    {
        var model = ModelZoo.Create("mlp", [6], 4, new CpuBackend(1), new ModelOptions(1));

        var ex = Assert.Throws<ArgumentException>(() => new FullBatchSettings("newton", new FullBatchOptions(), 0).Check(model));
        Assert.Contains("linreg, logreg", ex.Message);
        new FullBatchSettings("lbfgs", new FullBatchOptions(), 0).Check(model);
    }

    private static async Task<double> LossAt(ModelObjective f, double[] x, int i, double h)
    {
        var moved = (double[])x.Clone();
        moved[i] += h;
        return (await f.EvaluateAsync(moved, new double[x.Length], default)).Loss;
    }

    private static IEnumerable<int> Coordinates(int n) => n <= 2 ? Enumerable.Range(0, n) : [0, 1, n / 3, n / 2, n - 2, n - 1];

    private static (Model Model, Dataset Data) Build(string name)
    {
        var data = name == "linreg" ? LinearRegressionData.Builtin() : Classes;
        var outputs = name == "linreg" ? data.TargetLength : data.Classes;
        return (ModelZoo.Create(name, data.SampleShape, outputs, new CpuBackend(1), new ModelOptions(2)), data);
    }
}
