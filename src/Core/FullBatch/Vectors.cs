namespace Distributed.Core.FullBatch;

/// <summary>The few dense double-precision vector operations the full-batch methods need, in a fixed order.</summary>
internal static class Vectors
{
    public static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    public static double Norm(ReadOnlySpan<double> a) => Math.Sqrt(Dot(a, a));

    public static double MaxAbs(ReadOnlySpan<double> a)
    {
        double max = 0;
        foreach (var v in a)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }

    public static double SumAbs(ReadOnlySpan<double> a)
    {
        double sum = 0;
        foreach (var v in a)
        {
            sum += Math.Abs(v);
        }

        return sum;
    }

    /// <summary>y += a·x.</summary>
    public static void AddScaled(Span<double> y, double a, ReadOnlySpan<double> x)
    {
        for (var i = 0; i < y.Length; i++)
        {
            y[i] += a * x[i];
        }
    }

    /// <summary>result = x + a·d.</summary>
    public static void Step(Span<double> result, ReadOnlySpan<double> x, double a, ReadOnlySpan<double> d)
    {
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = x[i] + a * d[i];
        }
    }

    public static void Negate(Span<double> result, ReadOnlySpan<double> x)
    {
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = -x[i];
        }
    }
}
