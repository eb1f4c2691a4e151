using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Distributed.Core.Tensors;

namespace Distributed.Core.Compute.Cpu;

public sealed partial class CpuBackend
{
    private float[] _packA = [];

    public void Gemm(bool transposeA, bool transposeB, int m, int n, int k, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm dimensions {m}x{n}x{k}");
        }

        RequireLength(a, m * k, "gemm A");
        RequireLength(b, k * n, "gemm B");
        RequireLength(c, m * n, "gemm C");

        var cs = c.Span[..(m * n)];
        if (beta == 0f)
        {
            cs.Clear();
        }
        else if (beta != 1f)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(cs, beta, cs);
        }

        if (m == 0 || n == 0 || k == 0 || alpha == 0f)
        {
            return;
        }

        // Both kernels want A as m×k row-major; a transposed A is packed once (it is the small operand in
        // every layer's use). B decides the kernel: k×n rows stream through a register tile of C, while n×k
        // (Bᵀ stored) is a grid of dot products along contiguous k, with no packing of a possibly huge B.
        var aRows = transposeA ? Transpose(a.Span, k, m, ref _packA) : a.Storage.AsMemory(a.Offset, m * k);
        var bRows = b.Storage.AsMemory(b.Offset, k * n);
        var cRows = c.Storage.AsMemory(c.Offset, m * n);

        const int rowsPerBlock = 4;
        var rowBlocks = (m + rowsPerBlock - 1) / rowsPerBlock;
        if (transposeB)
        {
            ParallelRanges(rowBlocks, (long)rowsPerBlock * n * k, (first, last) =>
                GemmRowsDot(aRows.Span, bRows.Span, cRows.Span, first * rowsPerBlock, Math.Min(m, last * rowsPerBlock), n, k, alpha));
            return;
        }

        // Split C by columns when it is wide (conv: n = batch × positions): each thread then streams its strip of
        // B once for all rows instead of once per row block. Results do not depend on the split.
        var strip = 2 * Vector<float>.Count;
        var colBlocks = (n + strip - 1) / strip;
        if (colBlocks >= rowBlocks)
        {
            ParallelRanges(colBlocks, (long)strip * m * k, (first, last) =>
                GemmBlock(aRows.Span, bRows.Span, cRows.Span, 0, m, first * strip, Math.Min(n, last * strip), n, k, alpha));
        }
        else
        {
            ParallelRanges(rowBlocks, (long)rowsPerBlock * n * k, (first, last) =>
                GemmBlock(aRows.Span, bRows.Span, cRows.Span, first * rowsPerBlock, Math.Min(m, last * rowsPerBlock), 0, n, n, k, alpha));
        }
    }

    /// <summary>
    /// C[rows] += alpha · A[rows] · Bᵀ with B stored n×k: each C element is a dot product of two contiguous rows,
    /// computed 4 rows × 2 columns at a time in vector lanes. k is walked in fixed chunks so the rows being
    /// multiplied stay in cache when k is long (conv weight gradients: k = batch × positions); each chunk's lanes
    /// are summed in a fixed order and added to C, so the result does not depend on the thread split.
    /// </summary>
    private static void GemmRowsDot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int rowStart, int rowEnd, int n, int k, float alpha)
    {
        const int chunk = 512;
        for (var p0 = 0; p0 < k; p0 += chunk)
        {
            var len = Math.Min(chunk, k - p0);
            var i = rowStart;
            for (; i + 4 <= rowEnd; i += 4)
            {
                var j = 0;
                for (; j + 2 <= n; j += 2)
                {
                    DotTile4x2(a, b, c, i, j, n, k, p0, len, alpha);
                }

                for (; j < n; j++)
                {
                    for (var r = i; r < i + 4; r++)
                    {
                        c[(r * n) + j] += alpha * RowDot(a.Slice((r * k) + p0, len), b.Slice((j * k) + p0, len));
                    }
                }
            }

            for (; i < rowEnd; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    c[(i * n) + j] += alpha * RowDot(a.Slice((i * k) + p0, len), b.Slice((j * k) + p0, len));
                }
            }
        }
    }

    private static void DotTile4x2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int n, int k, int p0, int len, float alpha)
    {
        var w = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref var a0 = ref MemoryMarshal.GetReference(a.Slice((i * k) + p0));
        ref var a1 = ref Unsafe.Add(ref a0, k);
        ref var a2 = ref Unsafe.Add(ref a1, k);
        ref var a3 = ref Unsafe.Add(ref a2, k);
        ref var b0 = ref MemoryMarshal.GetReference(b.Slice((j * k) + p0));
        ref var b1 = ref Unsafe.Add(ref b0, k);
        var p = 0;
        for (; p + w <= len; p += w)
        {
            var up = (nuint)p;
            var x0 = Vector.LoadUnsafe(ref b0, up);
            var x1 = Vector.LoadUnsafe(ref b1, up);
            var y = Vector.LoadUnsafe(ref a0, up);
            c00 = Vector.FusedMultiplyAdd(y, x0, c00);
            c01 = Vector.FusedMultiplyAdd(y, x1, c01);
            y = Vector.LoadUnsafe(ref a1, up);
            c10 = Vector.FusedMultiplyAdd(y, x0, c10);
            c11 = Vector.FusedMultiplyAdd(y, x1, c11);
            y = Vector.LoadUnsafe(ref a2, up);
            c20 = Vector.FusedMultiplyAdd(y, x0, c20);
            c21 = Vector.FusedMultiplyAdd(y, x1, c21);
            y = Vector.LoadUnsafe(ref a3, up);
            c30 = Vector.FusedMultiplyAdd(y, x0, c30);
            c31 = Vector.FusedMultiplyAdd(y, x1, c31);
        }

        Span<Vector<float>> acc = [c00, c01, c10, c11, c20, c21, c30, c31];
        for (var r = 0; r < 4; r++)
        {
            var aRow = a.Slice(((i + r) * k) + p0 + p, len - p);
            for (var col = 0; col < 2; col++)
            {
                var total = Vector.Sum(acc[(r * 2) + col]) + TailDot(aRow, b.Slice(((j + col) * k) + p0 + p, len - p));
                c[((i + r) * n) + j + col] += alpha * total;
            }
        }
    }

    /// <summary>The same lane-then-tail order as <see cref="DotTile4x2"/>, so edge elements round identically.</summary>
    private static float RowDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var w = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        var p = 0;
        for (; p + w <= x.Length; p += w)
        {
            acc = Vector.FusedMultiplyAdd(new Vector<float>(x.Slice(p, w)), new Vector<float>(y.Slice(p, w)), acc);
        }

        return Vector.Sum(acc) + TailDot(x[p..], y[p..]);
    }

    private static float TailDot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var acc = 0f;
        for (var p = 0; p < x.Length; p++)
        {
            acc = MathF.FusedMultiplyAdd(x[p], y[p], acc);
        }

        return acc;
    }

    private static Memory<float> Transpose(ReadOnlySpan<float> source, int rows, int cols, ref float[] scratch)
    {
        if (scratch.Length < rows * cols)
        {
            scratch = new float[rows * cols];
        }

        var dst = scratch.AsSpan(0, rows * cols);
        for (var r = 0; r < rows; r++)
        {
            var src = source.Slice(r * cols, cols);
            for (var col = 0; col < cols; col++)
            {
                dst[(col * rows) + r] = src[col];
            }
        }

        return scratch.AsMemory(0, rows * cols);
    }

    /// <summary>
    /// C[block] += alpha · A · B over rows [r0, r1) and columns [c0, c1), column strips outermost so one strip of B
    /// (k × 2 vectors) stays in cache while every row block uses it. A 4-row × 2-vector register tile feeds four
    /// FMAs per B load. Every C element sums over k in ascending order with the same FMA sequence wherever it
    /// sits (tile, single row or scalar edge), so any split of the work gives bitwise-identical results.
    /// </summary>
    private static void GemmBlock(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int r0, int r1, int c0, int c1, int n, int k, float alpha)
    {
        var w = Vector<float>.Count;
        var j = c0;
        for (; j + (2 * w) <= c1; j += 2 * w)
        {
            var i = r0;
            for (; i + 4 <= r1; i += 4)
            {
                Tile4x2(a, b, c, i, j, n, k, alpha);
            }

            for (; i < r1; i++)
            {
                Row1x2(a.Slice(i * k, k), b, c, i, j, n, alpha);
            }
        }

        for (; j < c1; j++)
        {
            for (var i = r0; i < r1; i++)
            {
                c[(i * n) + j] += alpha * Dot(a.Slice(i * k, k), b, j, n);
            }
        }
    }

    private static void Row1x2(ReadOnlySpan<float> aRow, ReadOnlySpan<float> b, Span<float> c, int i, int j, int n, float alpha)
    {
        var w = Vector<float>.Count;
        Vector<float> lo = default, hi = default;
        ref var bj = ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j);
        for (var p = 0; p < aRow.Length; p++)
        {
            ref var bp = ref Unsafe.Add(ref bj, p * n);
            var x = new Vector<float>(aRow[p]);
            lo = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref bp), lo);
            hi = Vector.FusedMultiplyAdd(x, Vector.LoadUnsafe(ref bp, (nuint)w), hi);
        }

        Accumulate(c, (i * n) + j, w, alpha, lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile4x2(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int i, int j, int n, int k, float alpha)
    {
        var w = Vector<float>.Count;
        Vector<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<float> c20 = default, c21 = default, c30 = default, c31 = default;
        ref var a0 = ref MemoryMarshal.GetReference(a.Slice(i * k));
        ref var a1 = ref Unsafe.Add(ref a0, k);
        ref var a2 = ref Unsafe.Add(ref a1, k);
        ref var a3 = ref Unsafe.Add(ref a2, k);
        ref var bj = ref Unsafe.Add(ref MemoryMarshal.GetReference(b), j);
        for (var p = 0; p < k; p++)
        {
            ref var bp = ref Unsafe.Add(ref bj, p * n);
            var b0 = Vector.LoadUnsafe(ref bp);
            var b1 = Vector.LoadUnsafe(ref bp, (nuint)w);
            var x = new Vector<float>(Unsafe.Add(ref a0, p));
            c00 = Vector.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector.FusedMultiplyAdd(x, b1, c01);
            x = new Vector<float>(Unsafe.Add(ref a1, p));
            c10 = Vector.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector.FusedMultiplyAdd(x, b1, c11);
            x = new Vector<float>(Unsafe.Add(ref a2, p));
            c20 = Vector.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector.FusedMultiplyAdd(x, b1, c21);
            x = new Vector<float>(Unsafe.Add(ref a3, p));
            c30 = Vector.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector.FusedMultiplyAdd(x, b1, c31);
        }

        Accumulate(c, (i * n) + j, w, alpha, c00, c01);
        Accumulate(c, ((i + 1) * n) + j, w, alpha, c10, c11);
        Accumulate(c, ((i + 2) * n) + j, w, alpha, c20, c21);
        Accumulate(c, ((i + 3) * n) + j, w, alpha, c30, c31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(Span<float> c, int at, int w, float alpha, Vector<float> lo, Vector<float> hi)
    {
        var s0 = c.Slice(at, w);
        var s1 = c.Slice(at + w, w);
        (new Vector<float>(s0) + (lo * alpha)).CopyTo(s0);
        (new Vector<float>(s1) + (hi * alpha)).CopyTo(s1);
    }

    /// <summary>Σₚ aRow[p]·B[p, j] in the same FMA order as the vector lanes, so edge columns round alike.</summary>
    private static float Dot(ReadOnlySpan<float> aRow, ReadOnlySpan<float> b, int j, int n)
    {
        var acc = 0f;
        for (var p = 0; p < aRow.Length; p++)
        {
            acc = MathF.FusedMultiplyAdd(aRow[p], b[(p * n) + j], acc);
        }

        return acc;
    }
}
