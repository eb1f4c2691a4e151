namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// How far a device backend's result may stray from the CPU backend's. The formulas are the same on both, but a
/// GPU contracts a·b + c into a fused multiply-add and sums in another order, so the two agree to rounding, not bits.
/// </summary>
internal static class Agreement
{
    /// <summary>
    /// Every element within <paramref name="relative"/> · max(|expected|, <paramref name="floor"/>); the message names
    /// the worst element. The floor keeps elements that cancel to near zero from demanding more than float precision.
    /// </summary>
    public static void Elementwise(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double relative, double floor, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = -1;
        var worstRatio = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            var allowed = relative * Math.Max(Math.Abs((double)expected[i]), floor);
            var ratio = Math.Abs((double)actual[i] - expected[i]) / allowed;
            if (!(ratio <= worstRatio))
            {
                worst = i;
                worstRatio = ratio;
            }
        }

        if (!(worstRatio <= 1))
        {
            Assert.Fail($"{what}: element {worst} is {actual[worst]:R}, expected {expected[worst]:R} ({worstRatio:G3} times the allowed {relative:G2} relative)");
        }
    }

    /// <summary>‖actual − expected‖₂ / ‖expected‖₂ at most <paramref name="tolerance"/>.</summary>
    public static void RelativeL2(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double difference = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = (double)actual[i] - expected[i];
            difference += d * d;
            norm += (double)expected[i] * expected[i];
        }

        var error = Math.Sqrt(difference / norm);
        Assert.True(error <= tolerance, $"{what}: relative L2 error {error:G3}, allowed {tolerance:G2}");
    }

    /// <summary>|actual − expected| at most <paramref name="relative"/> · |expected|.</summary>
    public static void Scalar(double expected, double actual, double relative, string what) =>
        Assert.True(
            Math.Abs(actual - expected) <= relative * Math.Abs(expected),
            $"{what}: {actual:R}, expected {expected:R} (relative difference {Math.Abs(actual - expected) / Math.Abs(expected):G3}, allowed {relative:G2})");
}
