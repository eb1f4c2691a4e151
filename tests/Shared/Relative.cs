namespace Distributed.Tests.Shared;

/// <summary>How far apart two parameter vectors are, as the N-worker equivalence tests measure it.</summary>
internal static class Relative
{
    /// <summary>‖actual − expected‖ / ‖expected‖, in double precision.</summary>
    public static double Error(float[] actual, float[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }

        return Math.Sqrt(diff / norm);
    }
}
