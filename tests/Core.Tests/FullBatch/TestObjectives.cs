using Distributed.Core.FullBatch;

namespace Distributed.Core.Tests.FullBatch;

/// <summary>Rosenbrock's banana, f = (1 − a)² + 100(b − a²)², minimum 0 at (1, 1), with its exact Hessian.</summary>
internal sealed class Rosenbrock : IObjective, ICurvature
{
    private double[] _at = [0, 0];

    public int Dimension => 2;

    public int Calls { get; private set; }

    public ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        Calls++;
        var (a, b) = (x[0], x[1]);
        gradient[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        gradient[1] = 200 * (b - a * a);
        return ValueTask.FromResult(new ObjectiveValue((1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a), 0));
    }

    public ValueTask AtAsync(double[] x, CancellationToken cancel)
    {
        _at = (double[])x.Clone();
        return ValueTask.CompletedTask;
    }

    public ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel)
    {
        var (a, b) = (_at[0], _at[1]);
        var haa = 2 - 400 * (b - 3 * a * a);
        var hab = -400 * a;
        result[0] = haa * v[0] + hab * v[1];
        result[1] = hab * v[0] + 200 * v[1];
        return ValueTask.CompletedTask;
    }
}

/// <summary>f = ½xᵀAx − bᵀx with A symmetric positive definite: minimum at A⁻¹b.</summary>
internal sealed class Quadratic(double[,] a, double[] b) : IObjective, ICurvature
{
    public int Dimension => b.Length;

    public double[,] A => a;

    public double[] B => b;

    /// <summary>A well-conditioned SPD matrix M·Mᵀ + n·I from a fixed pseudo-random M.</summary>
    public static Quadratic Random(int n, int seed)
    {
        var random = new Random(seed);
        var m = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                m[i, j] = random.NextDouble() * 2 - 1;
            }
        }

        var a = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                for (var k = 0; k < n; k++)
                {
                    a[i, j] += m[i, k] * m[j, k];
                }
            }

            a[i, i] += 0.5 * n;
        }

        var b = Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        return new Quadratic(a, b);
    }

    public double[] Times(double[] v)
    {
        var result = new double[v.Length];
        for (var i = 0; i < v.Length; i++)
        {
            for (var j = 0; j < v.Length; j++)
            {
                result[i] += a[i, j] * v[j];
            }
        }

        return result;
    }

    public ValueTask<ObjectiveValue> EvaluateAsync(double[] x, double[] gradient, CancellationToken cancel)
    {
        var ax = Times(x);
        double f = 0;
        for (var i = 0; i < x.Length; i++)
        {
            gradient[i] = ax[i] - b[i];
            f += 0.5 * x[i] * ax[i] - b[i] * x[i];
        }

        return ValueTask.FromResult(new ObjectiveValue(f, 0));
    }

    public ValueTask AtAsync(double[] x, CancellationToken cancel) => ValueTask.CompletedTask;

    public ValueTask HessianTimesAsync(double[] v, double[] result, CancellationToken cancel)
    {
        Times(v).CopyTo(result, 0);
        return ValueTask.CompletedTask;
    }
}
