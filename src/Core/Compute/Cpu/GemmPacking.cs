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

        // Stored m×k: walk each source row contiguously, scattering into its lane.
        for (var r = 0; r < rows; r++)
        {
            var src = a.Slice((row0 + r) * k, k);
            for (var p = 0; p < k; p++)
            {
                dst[(p * mr) + r] = src[p];
            }
        }

        for (var r = rows; r < mr; r++)
        {
            for (var p = 0; p < k; p++)
            {
                dst[(p * mr) + r] = 0f;
            }
        }
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
        for (var col = 0; col < cols; col++)
        {
            var src = b.Slice((col0 + col) * k, k);
            for (var p = 0; p < k; p++)
            {
                dst[(p * nr) + col] = src[p];
            }
        }

        for (var col = cols; col < nr; col++)
        {
            for (var p = 0; p < k; p++)
            {
                dst[(p * nr) + col] = 0f;
            }
        }
    }
}
