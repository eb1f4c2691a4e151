using Distributed.Core.FullBatch;

namespace Distributed.Core.Tests.FullBatch;

/// <summary>
/// L-BFGS's first iterates on a fixed 4-dimensional quadratic against an independent computation: the inverse
/// Hessian estimate formed as a matrix, H = γI updated by each kept pair with the BFGS formula
/// H ← (I − ρsyᵀ) H (I − ρysᵀ) + ρssᵀ, the direction −H∇f, and the exact minimum along it. The two-loop recursion
/// the class uses never forms H; with history 2 the oldest pair is dropped from the fourth iteration on.
/// </summary>
public class LbfgsTests
{
    private static readonly double[,] A = { { 4, 1, 0, 0.5 }, { 1, 3, 0.5, 0 }, { 0, 0.5, 2, 0.25 }, { 0.5, 0, 0.25, 1 } };
    private static readonly double[] B = [1, -2, 0.5, 3];

    [Fact]
    public async Task FirstIteratesMatchTheExplicitBfgsMatrix()
    {
        const int history = 2;
        var q = new Quadratic(A, B);
        var x0 = new double[] { 0.3, -0.2, 0.1, 0.4 };

        // A tiny c2 makes the line search exact, as the reference is.
        var minimizer = new Lbfgs(q, x0, new FullBatchOptions { History = history, C1 = 1e-12, C2 = 1e-10, GradientTolerance = 0, ChangeTolerance = 0 });
        var expected = Reference(q, x0, history, iterations: 4);

        for (var k = 0; k < expected.Count; k++)
        {
            await minimizer.StepAsync();
            for (var i = 0; i < 4; i++)
            {
                Assert.True(Math.Abs(minimizer.X[i] - expected[k][i]) <= 1e-9, $"iteration {k + 1}, x[{i}]: {minimizer.X[i]:R} vs {expected[k][i]:R}");
            }
        }

        Assert.Equal(history, minimizer.PairCount);
    }

    private static List<double[]> Reference(Quadratic q, double[] x0, int history, int iterations)
    {
        var n = x0.Length;
        var x = (double[])x0.Clone();
        var pairs = new List<(double[] S, double[] Y)>();
        var iterates = new List<double[]>();
        for (var k = 0; k < iterations; k++)
        {
            var g = Gradient(q, x);
            var h = Identity(n, pairs.Count == 0 ? 1 : Dot(pairs[^1].S, pairs[^1].Y) / Dot(pairs[^1].Y, pairs[^1].Y));
            foreach (var (s, y) in pairs)
            {
                h = BfgsUpdate(h, s, y);
            }

            var d = new double[n];
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    d[i] -= h[i, j] * g[j];
                }
            }

            // Exact minimum of the quadratic along d.
            var t = -Dot(g, d) / Dot(d, q.Times(d));
            var next = x.Select((v, i) => v + t * d[i]).ToArray();
            pairs.Add((next.Select((v, i) => v - x[i]).ToArray(), Gradient(q, next).Select((v, i) => v - g[i]).ToArray()));
            if (pairs.Count > history)
            {
                pairs.RemoveAt(0);
            }

            x = next;
            iterates.Add(x);
        }

        return iterates;
    }

    private static double[,] BfgsUpdate(double[,] h, double[] s, double[] y)
    {
        var n = s.Length;
        var rho = 1 / Dot(s, y);
        var left = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                left[i, j] = (i == j ? 1 : 0) - rho * s[i] * y[j];
            }
        }

        var result = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var k = 0; k < n; k++)
                {
                    for (var l = 0; l < n; l++)
                    {
                        // (I − ρsyᵀ) H (I − ρysᵀ): the right factor is the left one transposed.
                        sum += left[i, k] * h[k, l] * left[j, l];
                    }
                }

                result[i, j] = sum + rho * s[i] * s[j];
            }
        }

        return result;
    }

    private static double[] Gradient(Quadratic q, double[] x) => q.Times(x).Select((v, i) => v - q.B[i]).ToArray();

    private static double Dot(double[] a, double[] b) => a.Select((v, i) => v * b[i]).Sum();

    private static double[,] Identity(int n, double scale)
    {
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            m[i, i] = scale;
        }

        return m;
    }
}
