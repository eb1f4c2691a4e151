using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        for (var p0 = 0; p0 < k; p0 += KBlock)
        {
            var p1 = Math.Min(k, p0 + KBlock);
            for (var r = 0; r < rows; r++)
            {
                ref var row = ref Unsafe.Add(ref s, first + ((nint)r * stride));
                for (var p = p0; p < p1; p++)
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
}
