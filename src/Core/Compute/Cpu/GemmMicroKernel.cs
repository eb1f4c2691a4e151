using System.Runtime.CompilerServices;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// The innermost GEMM loop: a <see cref="Rows"/> × (2 vectors) tile of C held in 12 registers while kc steps of
/// packed A (Rows floats per step) and packed B (2 vectors per step) stream past. Each step is two vector loads,
/// six broadcasts and twelve independent FMAs, enough independent chains to keep both FMA pipes busy through
/// their latency on the processors we run on, and few enough registers to fit AVX2's sixteen.
/// </summary>
internal static class GemmMicroKernel
{
    public const int Rows = 6;

    /// <summary>C[r, 0..2W) += alpha · Σₚ A[p, r] · B[p, 0..2W) for r &lt; <see cref="Rows"/>; C rows are ldc apart.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run<TOps, TVec>(ref float a, ref float b, int kc, ref float c, nint ldc, float alpha)
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        var w = TOps.Width;
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = TOps.Load(ref b);
            var b1 = TOps.Load(ref Unsafe.Add(ref b, w));
            var x = TOps.Broadcast(a);
            c00 = TOps.MultiplyAdd(x, b0, c00);
            c01 = TOps.MultiplyAdd(x, b1, c01);
            x = TOps.Broadcast(Unsafe.Add(ref a, 1));
            c10 = TOps.MultiplyAdd(x, b0, c10);
            c11 = TOps.MultiplyAdd(x, b1, c11);
            x = TOps.Broadcast(Unsafe.Add(ref a, 2));
            c20 = TOps.MultiplyAdd(x, b0, c20);
            c21 = TOps.MultiplyAdd(x, b1, c21);
            x = TOps.Broadcast(Unsafe.Add(ref a, 3));
            c30 = TOps.MultiplyAdd(x, b0, c30);
            c31 = TOps.MultiplyAdd(x, b1, c31);
            x = TOps.Broadcast(Unsafe.Add(ref a, 4));
            c40 = TOps.MultiplyAdd(x, b0, c40);
            c41 = TOps.MultiplyAdd(x, b1, c41);
            x = TOps.Broadcast(Unsafe.Add(ref a, 5));
            c50 = TOps.MultiplyAdd(x, b0, c50);
            c51 = TOps.MultiplyAdd(x, b1, c51);
            a = ref Unsafe.Add(ref a, Rows);
            b = ref Unsafe.Add(ref b, 2 * w);
        }

        var scale = TOps.Broadcast(alpha);
        AddRow<TOps, TVec>(ref c, w, scale, c00, c01);
        AddRow<TOps, TVec>(ref Unsafe.Add(ref c, ldc), w, scale, c10, c11);
        AddRow<TOps, TVec>(ref Unsafe.Add(ref c, 2 * ldc), w, scale, c20, c21);
        AddRow<TOps, TVec>(ref Unsafe.Add(ref c, 3 * ldc), w, scale, c30, c31);
        AddRow<TOps, TVec>(ref Unsafe.Add(ref c, 4 * ldc), w, scale, c40, c41);
        AddRow<TOps, TVec>(ref Unsafe.Add(ref c, 5 * ldc), w, scale, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRow<TOps, TVec>(ref float c, int w, TVec scale, TVec lo, TVec hi)
        where TOps : struct, ISimdOps<TVec>
        where TVec : struct
    {
        ref var upper = ref Unsafe.Add(ref c, w);
        TOps.Store(TOps.MultiplyAdd(lo, scale, TOps.Load(ref c)), ref c);
        TOps.Store(TOps.MultiplyAdd(hi, scale, TOps.Load(ref upper)), ref upper);
    }
}
