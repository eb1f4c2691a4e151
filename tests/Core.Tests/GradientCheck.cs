using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests;

/// <summary>
/// Double-sided finite differences against analytic gradients, in float32. The pass criterion is
/// |analytic − numeric| ≤ 1e-2·max(|analytic|, |numeric|) + 1e-3: with h = 1e-2 the rounding noise of a
/// float32 forward pass divided by 2h stays near 1e-5, and the objectives used here are linear or smooth in each
/// single coordinate, so truncation error is negligible unless a perturbation crosses a ReLU or max-pool kink
/// (tests choose inputs away from those).
/// </summary>
public static class GradientCheck
{
    public const double Relative = 1e-2;
    public const double Absolute = 1e-3;
    public const float DefaultStep = 1e-2f;

    /// <summary>A tensor of N(0, scale²) values.</summary>
    public static Tensor Normal(Rng rng, float scale, params int[] shape)
    {
        var t = new Tensor(shape);
        var s = t.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = (float)(rng.NextNormal() * scale);
        }

        return t;
    }

    /// <summary>Pairwise distinct values spaced <paramref name="spacing"/> apart in random order: no max-pool ties.</summary>
    public static Tensor Distinct(Rng rng, float spacing, params int[] shape)
    {
        var t = new Tensor(shape);
        var order = new int[t.Length];
        rng.Permutation(order);
        var s = t.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = (order[i] - (s.Length / 2)) * spacing;
        }

        return t;
    }

    /// <summary>Σ a ⊙ b accumulated in double.</summary>
    public static double Dot(Tensor a, Tensor b)
    {
        Assert.Equal(a.Length, b.Length);
        var x = a.Span;
        var y = b.Span;
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sum += (double)x[i] * y[i];
        }

        return sum;
    }

    public static void AssertClose(double analytic, double numeric, string what)
    {
        var bound = (Relative * Math.Max(Math.Abs(analytic), Math.Abs(numeric))) + Absolute;
        Assert.True(
            Math.Abs(analytic - numeric) <= bound,
            $"{what}: analytic {analytic:G6} vs numeric {numeric:G6} (allowed {bound:G3})");
    }

    /// <summary>(L(v + h) − L(v − h)) / 2h for one coordinate, restoring it afterwards.</summary>
    public static double Numeric(Tensor values, int index, float h, Func<double> objective)
    {
        var original = values[index];
        values[index] = original + h;
        var plus = objective();
        values[index] = original - h;
        var minus = objective();
        values[index] = original;
        return (plus - minus) / (2.0 * h);
    }

    /// <summary>Compares every coordinate of <paramref name="analytic"/> with a central difference of the objective.</summary>
    public static void AssertGradient(Tensor values, float[] analytic, Func<double> objective, string what, float h = DefaultStep)
    {
        Assert.Equal(values.Length, analytic.Length);
        for (var i = 0; i < values.Length; i++)
        {
            AssertClose(analytic[i], Numeric(values, i, h, objective), $"{what}[{i}]");
        }
    }

    /// <summary>
    /// Builds <paramref name="layer"/> for the samples of <paramref name="x"/> with seeded He weights and random biases,
    /// then checks dL/dx and every dL/dθ for L = Σ r ⊙ layer(x) with a fixed random r (so dL/dy = r).
    /// </summary>
    public static void CheckLayer(Layer layer, Tensor x, ulong seed, float h = DefaultStep)
    {
        var backend = new CpuBackend(1);
        layer.Build(x.Shape[1..].ToArray(), backend);
        var parameters = new ParameterSet(layer.Parameters);
        var rng = new Rng(seed);
        parameters.Initialize(rng, Initializer.He);
        foreach (var p in parameters.Parameters.Where(p => p.Init == Initializer.Zeros))
        {
            backend.Copy(Normal(rng, 0.1f, p.Shape), p.Value);
        }

        var r = Normal(rng, 1f, [x.Dim(0), .. layer.OutputShape]);
        double Objective() => Dot(layer.Forward(x, training: true), r);

        backend.Fill(parameters.Gradients, 0f);
        layer.Forward(x, training: true);
        var dx = layer.Backward(r) ?? throw new InvalidOperationException($"{layer.Describe()} returned no input gradient");

        // Later forwards reuse the layer's buffers, so keep copies of the analytic gradients.
        var inputGrad = dx.ToArray();
        Assert.Equal(x.Shape.ToArray(), dx.Shape.ToArray());
        var paramGrads = parameters.Parameters.Select(p => p.Grad.ToArray()).ToArray();

        AssertGradient(x, inputGrad, Objective, "dx", h);
        for (var i = 0; i < paramGrads.Length; i++)
        {
            var p = parameters.Parameters[i];
            AssertGradient(p.Value, paramGrads[i], Objective, $"d{p.Name}#{i}", h);
        }
    }
}
