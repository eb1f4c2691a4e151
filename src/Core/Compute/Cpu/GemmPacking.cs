using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Copies op(A) and op(B) into the order the micro-kernel reads them: A in panels of
/// <see cref="GemmMicroKernel.Rows"/> rows, each stored k-major (Rows floats per k), and B in panels of nr columns,
/// each stored k-major (nr floats per k). Panels past the matrix edge are padded with zeros, so every tile,
/// interior or edge, runs the same kernel with the same sequence of operations. Whether a source is transposed
/// only changes which of the two loops is contiguous.
/// </summary>
internal static class GemmPacking
{
    /// <summary>Packs A panel <paramref name="panel"/> (rows panel·Rows …) of op(A), m×k, into dst (k·Rows floats).</summary>
    public static void PackA(ReadOnlySpan<float> a, bool transposed, int m, int k, int panel, Span<float> dst)
    {
        const int mr = GemmMicroKernel.Rows;
        var row0 = panel * mr;
        var rows = Math.Min(mr, m - row0);
        if (transposed)
        {
            // Stored k×m: each k holds the panel's rows side by side.
            for (var p = 0; p < k; p++)
            {
                var d = dst.Slice(p * mr, mr);
                a.Slice((p * m) + row0, rows).CopyTo(d);
                d[rows..].Clear();
            }

            return;
        }

        // Stored m×k: each of the panel's rows is a contiguous source row, scattered into its lane.
        if (rows == mr && Avx.IsSupported)
        {
            TransposeSixRows(a, (nint)row0 * k, k, dst);
            return;
        }

        Transpose(a, (nint)row0 * k, k, rows, k, dst, mr);
    }

    /// <summary>Packs B panel <paramref name="panel"/> (columns panel·nr …) of op(B), k×n, into dst (k·nr floats).</summary>
    public static void PackB(ReadOnlySpan<float> b, bool transposed, int n, int k, int nr, int panel, Span<float> dst)
    {
        var col0 = panel * nr;
        var cols = Math.Min(nr, n - col0);
        if (!transposed)
        {
            // Stored k×n: each k's columns are contiguous.
            for (var p = 0; p < k; p++)
            {
                var d = dst.Slice(p * nr, nr);
                b.Slice((p * n) + col0, cols).CopyTo(d);
                d[cols..].Clear();
            }

            return;
        }

        // Stored n×k: each column of op(B) is a contiguous source row.
        Transpose(b, (nint)col0 * k, k, cols, k, dst, nr);
    }

    /// <summary>
    /// dst[p·width + r] = src[first + r·stride + p] for r &lt; rows, p &lt; k, and zero for rows ≤ r &lt; width:
    /// <paramref name="rows"/> source rows become the lanes of a k-major panel.
    /// </summary>
    /// <remarks>
    /// Taken a block of k at a time, so that the block's source rows and the panel lines they land in both stay in
    /// L1: walking each whole source row at once wrote each panel line once per row, long after it had left L1,
    /// and packing the weights this way was a quarter of a small-batch mlp step.
    /// </remarks>
    private static void Transpose(ReadOnlySpan<float> src, nint first, int stride, int rows, int k, Span<float> dst, int width)
    {
        const int KBlock = 64;
        if ((long)width * k > dst.Length || (rows > 0 && first + ((long)(rows - 1) * stride) + k > src.Length))
        {
            throw new ArgumentOutOfRangeException(nameof(k), "a packing block reaches past its buffer");
        }

        ref var s = ref MemoryMarshal.GetReference(src);
        ref var d = ref MemoryMarshal.GetReference(dst);
        var rows8 = Avx.IsSupported ? rows & ~7 : 0;
        for (var p0 = 0; p0 < k; p0 += KBlock)
        {
            var p1 = Math.Min(k, p0 + KBlock);
            var p8 = p0 + ((p1 - p0) & ~7);
            for (var r = 0; r < rows8; r += 8)
            {
                for (var p = p0; p < p8; p += 8)
                {
                    Transpose8x8(ref Unsafe.Add(ref s, first + ((nint)r * stride) + p), stride, ref Unsafe.Add(ref d, ((nint)p * width) + r), width);
                }
            }

            for (var r = 0; r < rows; r++)
            {
                ref var row = ref Unsafe.Add(ref s, first + ((nint)r * stride));
                for (var p = r < rows8 ? p8 : p0; p < p1; p++)
                {
                    Unsafe.Add(ref d, ((nint)p * width) + r) = Unsafe.Add(ref row, p);
                }
            }

            for (var p = p0; p < p1; p++)
            {
                MemoryMarshal.CreateSpan(ref Unsafe.Add(ref d, ((nint)p * width) + rows), width - rows).Clear();
            }
        }
    }

    /// <summary>
    /// A full A panel (<see cref="GemmMicroKernel.Rows"/> = 6 source rows) packed eight k values at a time through
    /// the 8×8 register transpose with two empty rows: <see cref="Transpose"/> takes only whole groups of eight rows
    /// that way, so six-row panels went one float at a time, and packing a layer's input was a third of the packing.
    /// Panel lines are six floats, so each line is stored eight wide and the next line overwrites the two extra;
    /// the last line of a group is stored six wide, so nothing is written past the group.
    /// </summary>
    private static void TransposeSixRows(ReadOnlySpan<float> src, nint first, int k, Span<float> dst)
    {
        const int rows = GemmMicroKernel.Rows;
        if ((long)rows * k > dst.Length || first + ((long)rows * k) > src.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(k), "a packing block reaches past its buffer");
        }

        ref var s = ref Unsafe.Add(ref MemoryMarshal.GetReference(src), first);
        ref var d = ref MemoryMarshal.GetReference(dst);
        var whole = k & ~7;
        for (var p = 0; p < whole; p += 8)
        {
            ref var from = ref Unsafe.Add(ref s, p);
            ref var to = ref Unsafe.Add(ref d, (nint)p * rows);
            var (l0, l1, l2, l3, l4, l5, l6, l7) = Transpose8x8(
                Vector256.LoadUnsafe(ref from),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref from, k)),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 2 * k)),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 3 * k)),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 4 * k)),
                Vector256.LoadUnsafe(ref Unsafe.Add(ref from, 5 * k)),
                Vector256<float>.Zero,
                Vector256<float>.Zero);
            l0.StoreUnsafe(ref to);
            l1.StoreUnsafe(ref Unsafe.Add(ref to, rows));
            l2.StoreUnsafe(ref Unsafe.Add(ref to, 2 * rows));
            l3.StoreUnsafe(ref Unsafe.Add(ref to, 3 * rows));
            l4.StoreUnsafe(ref Unsafe.Add(ref to, 4 * rows));
            l5.StoreUnsafe(ref Unsafe.Add(ref to, 5 * rows));
            l6.StoreUnsafe(ref Unsafe.Add(ref to, 6 * rows));
            ref var last = ref Unsafe.Add(ref to, 7 * rows);
            l7.GetLower().StoreUnsafe(ref last);
            Unsafe.WriteUnaligned(ref Unsafe.As<float, byte>(ref Unsafe.Add(ref last, 4)), l7.GetUpper().AsDouble().ToScalar());
        }

        for (var r = 0; r < rows; r++)
        {
            for (var p = whole; p < k; p++)
            {
                Unsafe.Add(ref d, ((nint)p * rows) + r) = Unsafe.Add(ref s, ((nint)r * k) + p);
            }
        }
    }

    /// <summary>
    /// An 8×8 block in registers (AVX): eight source rows of eight k values become eight panel lines of eight lanes,
    /// a few shuffles instead of 64 scattered stores (the same values land in the same places).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float src, nint stride, ref float dst, nint width)
    {
        var (l0, l1, l2, l3, l4, l5, l6, l7) = Transpose8x8(
            Vector256.LoadUnsafe(ref src),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, stride)),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 2 * stride)),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 3 * stride)),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 4 * stride)),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 5 * stride)),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 6 * stride)),
            Vector256.LoadUnsafe(ref Unsafe.Add(ref src, 7 * stride)));
        l0.StoreUnsafe(ref dst);
        l1.StoreUnsafe(ref Unsafe.Add(ref dst, width));
        l2.StoreUnsafe(ref Unsafe.Add(ref dst, 2 * width));
        l3.StoreUnsafe(ref Unsafe.Add(ref dst, 3 * width));
        l4.StoreUnsafe(ref Unsafe.Add(ref dst, 4 * width));
        l5.StoreUnsafe(ref Unsafe.Add(ref dst, 5 * width));
        l6.StoreUnsafe(ref Unsafe.Add(ref dst, 6 * width));
        l7.StoreUnsafe(ref Unsafe.Add(ref dst, 7 * width));
    }

    /// <summary>Rows r0…r7 of eight values become lines 0…7: line p holds value p of every row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>, Vector256<float>) Transpose8x8(
        Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3, Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7)
    {
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped across.
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        return (
            Avx.Permute2x128(u0, u4, 0x20), Avx.Permute2x128(u1, u5, 0x20), Avx.Permute2x128(u2, u6, 0x20), Avx.Permute2x128(u3, u7, 0x20),
            Avx.Permute2x128(u0, u4, 0x31), Avx.Permute2x128(u1, u5, 0x31), Avx.Permute2x128(u2, u6, 0x31), Avx.Permute2x128(u3, u7, 0x31));
    }
}
