using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Measures one core's arithmetic peak at the GEMM's register width: twelve independent FMA chains, the same
/// shape as the micro-kernel's accumulators but with no loads, so the figure is what the FMA pipes can do and a
/// GEMM's GFLOP/s can be stated as a fraction of it.
/// </summary>
public static class FmaPeak
{
    /// <summary>Single-thread GFLOP/s (an FMA counts as two FLOPs), measured for about <paramref name="duration"/>.</summary>
    public static double MeasureGflops(TimeSpan duration) => SimdSupport.Best switch
    {
        SimdWidth.Bits512 => Measure<Simd512, Vector512<float>>(duration),
        SimdWidth.Bits256 => Measure<Simd256, Vector256<float>>(duration),
        _ => Measure<Simd128, Vector128<float>>(duration),
    };

    /// <summary>The register width and FMA support the GEMM uses, e.g. "512-bit FMA".</summary>
    public static string KernelDescription => SimdSupport.Describe(SimdSupport.Best);

    private static double Measure<TOps, TVec>(TimeSpan duration)
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        const int inner = 1 << 16;
        Chains<TOps, TVec>(1000);
        long rounds = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            Chains<TOps, TVec>(inner);
            rounds++;
        }

        return rounds * (double)inner * 12 * TOps.Width * 2 / clock.Elapsed.TotalSeconds / 1e9;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains<TOps, TVec>(int iterations)
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        var x = TOps.Broadcast(0.999f);
        var y = TOps.Broadcast(1e-3f);
        TVec c0 = x, c1 = x, c2 = x, c3 = x, c4 = x, c5 = x, c6 = x, c7 = x, c8 = x, c9 = x, c10 = x, c11 = x;
        for (var i = 0; i < iterations; i++)
        {
            c0 = TOps.MultiplyAdd(c0, x, y);
            c1 = TOps.MultiplyAdd(c1, x, y);
            c2 = TOps.MultiplyAdd(c2, x, y);
            c3 = TOps.MultiplyAdd(c3, x, y);
            c4 = TOps.MultiplyAdd(c4, x, y);
            c5 = TOps.MultiplyAdd(c5, x, y);
            c6 = TOps.MultiplyAdd(c6, x, y);
            c7 = TOps.MultiplyAdd(c7, x, y);
            c8 = TOps.MultiplyAdd(c8, x, y);
            c9 = TOps.MultiplyAdd(c9, x, y);
            c10 = TOps.MultiplyAdd(c10, x, y);
            c11 = TOps.MultiplyAdd(c11, x, y);
        }

        // Fold every chain into one so none is dead code. (Not through a span: that made the JIT keep the chains in
        // memory inside the loop, halving the figure.)
        var one = TOps.Broadcast(1f);
        var sum = TOps.MultiplyAdd(c0, one, c1);
        sum = TOps.MultiplyAdd(c2, one, sum);
        sum = TOps.MultiplyAdd(c3, one, sum);
        sum = TOps.MultiplyAdd(c4, one, sum);
        sum = TOps.MultiplyAdd(c5, one, sum);
        sum = TOps.MultiplyAdd(c6, one, sum);
        sum = TOps.MultiplyAdd(c7, one, sum);
        sum = TOps.MultiplyAdd(c8, one, sum);
        sum = TOps.MultiplyAdd(c9, one, sum);
        sum = TOps.MultiplyAdd(c10, one, sum);
        sum = TOps.MultiplyAdd(c11, one, sum);
        Span<float> sink = stackalloc float[TOps.Width];
        TOps.Store(sum, ref sink[0]);
        var total = sink[0];
        return total;
    }
}
