using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// 2×2, stride-2 max pooling eight windows at a time with AVX. Two loads cover 16 columns of a row; an in-lane
/// shuffle splits them into the windows' left and right elements, in the window order [0 1 4 5 | 2 3 6 7], which
/// the gradient is permuted into and the outputs are permuted back from; unpacking the left and right results
/// restores the columns' order for the input gradient. A group with a NaN anywhere is left to the scalar code,
/// which applies the first-NaN-wins rule; so is a row's last partial group. Each method returns how many windows
/// of the row it handled.
/// </summary>
internal static class PoolTwoByTwoAvx
{
    private const byte Evens = 0b10_00_10_00;
    private const byte Odds = 0b11_01_11_01;

    public static bool IsSupported => Avx.IsSupported;

    public static int MaxRow(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, Span<float> dst)
    {
        var groups = dst.Length / 8;
        ref var t = ref MemoryMarshal.GetReference(top);
        ref var b = ref MemoryMarshal.GetReference(bottom);
        ref var o = ref MemoryMarshal.GetReference(dst);
        var order = WindowOrder;
        for (var grp = 0; grp < groups; grp++)
        {
            if (!Load(ref t, ref b, 16 * grp, out var a, out var bb, out var c, out var d))
            {
                return grp * 8;
            }

            var m = Vector256.Max(Vector256.Max(a, bb), Vector256.Max(c, d));
            Vector256.Shuffle(m, order).StoreUnsafe(ref Unsafe.Add(ref o, 8 * grp));
        }

        return groups * 8;
    }

    public static int RouteRow(ReadOnlySpan<float> top, ReadOnlySpan<float> bottom, ReadOnlySpan<float> grad, Span<float> dxTop, Span<float> dxBottom)
    {
        var groups = grad.Length / 8;
        ref var t = ref MemoryMarshal.GetReference(top);
        ref var b = ref MemoryMarshal.GetReference(bottom);
        ref var gr = ref MemoryMarshal.GetReference(grad);
        ref var dt = ref MemoryMarshal.GetReference(dxTop);
        ref var db = ref MemoryMarshal.GetReference(dxBottom);
        var order = WindowOrder;
        for (var grp = 0; grp < groups; grp++)
        {
            var at = 16 * grp;
            if (!Load(ref t, ref b, at, out var a, out var bb, out var c, out var d))
            {
                return grp * 8;
            }

            var m = Vector256.Max(Vector256.Max(a, bb), Vector256.Max(c, d));
            var g = Vector256.Shuffle(Vector256.LoadUnsafe(ref Unsafe.Add(ref gr, 8 * grp)), order);
            var isA = Vector256.Equals(a, m);
            var isB = Vector256.AndNot(Vector256.Equals(bb, m), isA);
            var taken = isA | isB;
            var isC = Vector256.AndNot(Vector256.Equals(c, m), taken);
            var isD = ~(taken | isC);
            Interleave(g & isA, g & isB, ref Unsafe.Add(ref dt, at));
            Interleave(g & isC, g & isD, ref Unsafe.Add(ref db, at));
        }

        return groups * 8;
    }

    /// <summary>The window order the shuffles produce; it is its own inverse.</summary>
    private static Vector256<int> WindowOrder => Vector256.Create(0, 1, 4, 5, 2, 3, 6, 7);

    /// <summary>Left and right elements of the top and bottom rows of 8 windows; false when any is NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Load(ref float top, ref float bottom, int at, out Vector256<float> a, out Vector256<float> b, out Vector256<float> c, out Vector256<float> d)
    {
        var t0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref top, at));
        var t1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref top, at + 8));
        var b0 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bottom, at));
        var b1 = Vector256.LoadUnsafe(ref Unsafe.Add(ref bottom, at + 8));
        a = Avx.Shuffle(t0, t1, Evens);
        b = Avx.Shuffle(t0, t1, Odds);
        c = Avx.Shuffle(b0, b1, Evens);
        d = Avx.Shuffle(b0, b1, Odds);
        return Vector256.EqualsAll(a, a) && Vector256.EqualsAll(b, b) && Vector256.EqualsAll(c, c) && Vector256.EqualsAll(d, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Interleave(Vector256<float> left, Vector256<float> right, ref float destination)
    {
        Avx.UnpackLow(left, right).StoreUnsafe(ref destination);
        Avx.UnpackHigh(left, right).StoreUnsafe(ref Unsafe.Add(ref destination, 8));
    }
}
