using System.Numerics;
using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

public sealed class SquareSumTests
{
    public static TheoryData<int> Lengths() => new([0, 1, 7, 15, 16, 17, 31, 33, 1000, 269_322]);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EqualsSixteenSequentialLanesAddedPairwiseBitForBit(int length)
    {
        var x = Values(length);

        // The published order written out plainly: lane j mod 16 sums its elements in turn, then lanes pair up
        // (0+8, 1+9, …), then (0+4, …), (0+2, 1+3), (0+1).
        var lanes = new double[16];
        for (var j = 0; j < length; j++)
        {
            lanes[j % 16] += (double)x[j] * x[j];
        }

        for (var half = 8; half >= 1; half /= 2)
        {
            for (var lane = 0; lane < half; lane++)
            {
                lanes[lane] += lanes[lane + half];
            }
        }

        Assert.Equal(lanes[0], SquareSum.Of(x));
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void IsWithinTheRoundingBoundOfTheExactSum(int length)
    {
        var x = Values(length);

        // Each square of a float is exact in double; summed as exact rationals (scaled integers), the only error
        // left is the n additions' rounding.
        var exact = BigInteger.Zero;
        foreach (var v in x)
        {
            var scaled = new BigInteger(Math.Round((double)v * (1 << 20)));
            exact += scaled * scaled;
        }

        var expected = (double)exact / Math.Pow(2, 40);
        var sum = SquareSum.Of(x);
        Assert.True(Math.Abs(sum - expected) <= Math.Max(length, 1) * Math.Pow(2, -52) * expected, $"{sum} against {expected}");
    }

    [Fact]
    public void AnInfiniteOrNaNElementMakesTheSumNotFinite()
    {
        var x = Values(100);
        x[37] = float.PositiveInfinity;
        Assert.Equal(double.PositiveInfinity, SquareSum.Of(x));
        x[37] = float.NaN;
        Assert.True(double.IsNaN(SquareSum.Of(x)));
    }

    /// <summary>Values with at most 20 fraction bits, so that their squares scale to exact integers.</summary>
    private static float[] Values(int length)
    {
        var rng = new Random(41);
        var x = new float[length];
        for (var i = 0; i < length; i++)
        {
            x[i] = (float)(Math.Round((rng.NextDouble() - 0.5) * 6 * (1 << 20)) / (1 << 20));
        }

        return x;
    }
}
