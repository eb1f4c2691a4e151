using Distributed.Core.Compute.Cpu;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Optimizers;

/// <summary>
/// The small problem every trajectory test runs: three parameters and three fixed gradient vectors. The same
/// numbers are in reference_values.py, the float64 oracle (written from PyTorch's published pseudo-code) whose
/// output the expected literals in the tests come from. Gradients change sign and, for the third parameter,
/// shrink sharply, so momentum, centering and AMSGrad all leave a visible mark within three steps.
/// </summary>
internal static class FixedProblem
{
    /// <summary>float32 kernels against a float64 oracle: relative 1e-6, absolute 1e-6 for values below 1.</summary>
    public const double Tolerance = 1e-6;

    public static float[] InitialParameters => [1.0f, -2.0f, 0.5f];

    public static float[][] Gradients =>
    [
        [0.5f, -1.0f, 4.0f],
        [0.3f, 0.4f, 0.05f],
        [-0.2f, 0.6f, -0.1f],
    ];

    public static CpuBackend Backend() => new(1);

    /// <summary>Builds the optimizer over fresh tensors, feeds the fixed gradients, and checks p after each step.</summary>
    public static void AssertTrajectory(Func<Tensor, Tensor, Optimizer> create, double[][] expectedAfterEachStep)
    {
        var parameters = Tensor.FromArray(InitialParameters, 3);
        var gradients = new Tensor(3);
        var optimizer = create(parameters, gradients);
        var steps = Gradients;
        Assert.Equal(steps.Length, expectedAfterEachStep.Length);
        for (var t = 0; t < steps.Length; t++)
        {
            steps[t].CopyTo(gradients.Span);
            optimizer.Step();
            AssertClose(expectedAfterEachStep[t], parameters.ToArray(), $"after step {t + 1}");
        }
    }

    /// <summary>Runs the fixed gradients through an optimizer and returns p after each step.</summary>
    public static float[][] Run(Func<Tensor, Tensor, Optimizer> create)
    {
        var parameters = Tensor.FromArray(InitialParameters, 3);
        var gradients = new Tensor(3);
        var optimizer = create(parameters, gradients);
        return Gradients.Select(g =>
        {
            g.CopyTo(gradients.Span);
            optimizer.Step();
            return parameters.ToArray();
        }).ToArray();
    }

    public static void AssertClose(IReadOnlyList<double> expected, IReadOnlyList<float> actual, string where = "")
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertClose(expected[i], actual[i], $"{where} [{i}]");
        }
    }

    public static void AssertClose(double expected, double actual, string where = "")
    {
        var allowed = Tolerance * Math.Max(1.0, Math.Abs(expected));
        Assert.True(
            Math.Abs(actual - expected) <= allowed,
            $"{where}: expected {expected:R}, got {actual:R} (difference {actual - expected:E2}, allowed {allowed:E2})");
    }
}
