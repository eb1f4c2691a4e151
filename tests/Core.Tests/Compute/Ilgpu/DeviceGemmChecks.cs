using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// The checks every <see cref="IDeviceGemm"/> must pass, written once and called from each implementation's test
/// class (whose attributes decide the accelerator and whether a GPU is needed). The oracle is the double-precision
/// triple loop <see cref="ReferenceKernels.Gemm"/> with <see cref="GemmTests"/>' tolerance: 1e-5 relative to
/// Σ|alpha·a·b| + |beta·c|, generous for float accumulation in any order, far below an indexing mistake.
/// </summary>
internal static class DeviceGemmChecks
{
    private const double Tolerance = 1e-5;

    /// <summary>
    /// Shapes the CPU accelerator can afford (it runs each group's threads with real barriers): one element, shapes
    /// below one 64×64×16 tile, an exact tile, one element past a tile in every dimension with two k slabs, tall
    /// and skinny operands both ways, and a 3×3 grid of groups with a partial third slab.
    /// </summary>
    public static readonly int[][] SmallShapes =
    [
        [1, 1, 1],
        [5, 13, 7],
        [3, 17, 33],
        [64, 64, 16],
        [65, 70, 17],
        [2, 1, 40],
        [1, 40, 2],
        [130, 129, 40],
    ];

    /// <summary>Several groups in both grid dimensions and many k slabs, with ragged edges in the second.</summary>
    public static readonly int[][] LargeShapes =
    [
        [128, 256, 784],
        [257, 129, 300],
    ];

    public static TheoryData<int, int, int, bool, bool> WithTransposes(params int[][] shapes)
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var s in shapes)
        {
            foreach (var ta in new[] { false, true })
            {
                foreach (var tb in new[] { false, true })
                {
                    data.Add(s[0], s[1], s[2], ta, tb);
                }
            }
        }

        return data;
    }

    public static void MatchesReference(
        Accelerator accelerator, IDeviceGemm gemm, int m, int n, int k, bool ta, bool tb, float alpha, float beta)
    {
        var rng = new Rng((ulong)((m * 31) + (n * 7) + k));
        var a = Normal(rng, m * k);
        var b = Normal(rng, k * n);
        var c = Normal(rng, m * n);
        var (expected, magnitude) = ReferenceKernels.Gemm(ta, tb, m, n, k, alpha, a, b, beta, c);

        var actual = Run(accelerator, gemm, ta, tb, m, n, k, alpha, a, b, beta, c);

        AssertClose(expected, magnitude, actual, $"{gemm.Name} {m}x{n}x{k} ta={ta} tb={tb} alpha={alpha} beta={beta}");
    }

    public static void HonoursAlphaAndBeta(Accelerator accelerator, IDeviceGemm gemm, float alpha, float beta)
    {
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            MatchesReference(accelerator, gemm, 7, 19, 10, ta, tb, alpha, beta);
        }
    }

    public static void BetaZeroOverwritesNaN(Accelerator accelerator, IDeviceGemm gemm)
    {
        var rng = new Rng(1);
        var c = Enumerable.Repeat(float.NaN, 3 * 4).ToArray();

        var result = Run(accelerator, gemm, false, false, 3, 4, 5, 1f, Normal(rng, 3 * 5), Normal(rng, 5 * 4), 0f, c);

        Assert.All(result, v => Assert.True(float.IsFinite(v), $"{gemm.Name}: NaN in C survived beta = 0"));
    }

    /// <summary>alpha == 0 scales C by beta and never reads A or B: NaN there must not reach C.</summary>
    public static void AlphaZeroOnlyScalesC(Accelerator accelerator, IDeviceGemm gemm)
    {
        var poison = Enumerable.Repeat(float.NaN, 6 * 7).ToArray();
        float[] c = [1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -16, 17, -18, 19, -20, 21, -22, 23, -24, 25, -26, 27, -28, 29, -30];

        var scaled = Run(accelerator, gemm, false, true, 5, 6, 7, 0f, poison, poison, 0.5f, c);
        var cleared = Run(accelerator, gemm, true, false, 5, 6, 7, 0f, poison, poison, 0f, Enumerable.Repeat(float.NaN, 30).ToArray());
        var untouched = Run(accelerator, gemm, false, false, 5, 6, 7, 0f, poison, poison, 1f, c);

        Assert.Equal(c.Select(v => v * 0.5f), scaled);
        Assert.All(cleared, v => Assert.Equal(0f, v));
        Assert.Equal(c, untouched);
    }

    /// <summary>k == 0 is an empty sum: C = beta·C, with empty views for A and B.</summary>
    public static void EmptySumOnlyScalesC(Accelerator accelerator, IDeviceGemm gemm)
    {
        float[] c = [1, 2, 3, 4, 5, 6];

        var scaled = Run(accelerator, gemm, false, false, 2, 3, 0, 1f, [], [], -2f, c);
        var cleared = Run(accelerator, gemm, true, true, 2, 3, 0, 1f, [], [], 0f, [float.NaN, 1, 2, 3, 4, float.NaN]);

        Assert.Equal(c.Select(v => v * -2f), scaled);
        Assert.All(cleared, v => Assert.Equal(0f, v));
    }

    /// <summary>An empty C (m or n == 0) leaves the memory after it alone, even with beta == 0.</summary>
    public static void EmptyOutputWritesNothing(Accelerator accelerator, IDeviceGemm gemm)
    {
        float[] c = [1, 2, 3];

        Assert.Equal(c, Run(accelerator, gemm, false, false, 0, 3, 4, 1f, [], Normal(new Rng(2), 12), 0f, c));
        Assert.Equal(c, Run(accelerator, gemm, false, false, 3, 0, 4, 1f, Normal(new Rng(3), 12), [], 0f, c));
    }

    /// <summary>
    /// Operands as views into one buffer, the way parameters and gradients live in one flat allocation: each starts
    /// at an offset and is followed by other data, which must survive. Enqueued on a stream of its own, which is
    /// the one the GEMM must use.
    /// </summary>
    public static void WorksOnSubViews(Accelerator accelerator, IDeviceGemm gemm)
    {
        const int m = 6, n = 5, k = 7;
        int aAt = 3, bAt = aAt + (m * k) + 11, cAt = bAt + (k * n) + 13, total = cAt + (m * n) + 17;
        var before = Normal(new Rng(4), total);
        var (expected, magnitude) = ReferenceKernels.Gemm(
            true, true, m, n, k, 2, before[aAt..(aAt + (m * k))], before[bAt..(bAt + (k * n))], 0.5, before[cAt..(cAt + (m * n))]);

        using var storage = accelerator.Allocate1D(before);
        using var stream = accelerator.CreateStream();
        ArrayView<float> view = storage.View;
        gemm.Multiply(
            stream, true, true, m, n, k, 2f, view.SubView(aAt, m * k), view.SubView(bAt, k * n), 0.5f, view.SubView(cAt, m * n));
        stream.Synchronize();
        var after = storage.GetAsArray1D();

        AssertClose(expected, magnitude, after[cAt..(cAt + (m * n))], $"{gemm.Name} sub-views");
        for (var i = 0; i < total; i++)
        {
            if (i < cAt || i >= cAt + (m * n))
            {
                Assert.Equal(before[i], after[i]);
            }
        }
    }

    /// <summary>
    /// Each too-short view, and a negative dimension, is an ArgumentException on the host before anything is
    /// enqueued: C is unchanged afterwards.
    /// </summary>
    public static void RejectsBadSizesBeforeLaunch(Accelerator accelerator, IDeviceGemm gemm)
    {
        const int m = 4, n = 5, k = 6;
        var c0 = Normal(new Rng(5), m * n);
        using var a = accelerator.Allocate1D(Normal(new Rng(6), m * k));
        using var b = accelerator.Allocate1D(Normal(new Rng(7), k * n));
        using var c = accelerator.Allocate1D(c0);
        var s = accelerator.DefaultStream;
        ArrayView<float> av = a.View, bv = b.View, cv = c.View;

        var shortA = Assert.ThrowsAny<ArgumentException>(() => gemm.Multiply(s, false, false, m, n, k, 1f, av.SubView(0, (m * k) - 1), bv, 0f, cv));
        var shortB = Assert.ThrowsAny<ArgumentException>(() => gemm.Multiply(s, true, true, m, n, k, 1f, av, bv.SubView(1, (k * n) - 1), 0f, cv));
        var shortC = Assert.ThrowsAny<ArgumentException>(() => gemm.Multiply(s, false, true, m, n, k, 1f, av, bv, 0f, cv.SubView(0, (m * n) - 1)));
        Assert.ThrowsAny<ArgumentException>(() => gemm.Multiply(s, false, false, -1, n, k, 1f, av, bv, 0f, cv));
        Assert.ThrowsAny<ArgumentException>(() => gemm.Multiply(s, false, false, m, n, -1, 0f, av, bv, 0f, cv));

        // The message names the operand and the sizes, so a shape bug upstream is findable from the log alone.
        Assert.Contains("A needs", shortA.Message);
        Assert.Contains("B needs", shortB.Message);
        Assert.Contains($"{m * n} elements", shortC.Message);
        accelerator.Synchronize();
        Assert.Equal(c0, c.GetAsArray1D());
    }

    private static float[] Run(
        Accelerator accelerator, IDeviceGemm gemm, bool ta, bool tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c)
    {
        using var da = Upload(accelerator, a);
        using var db = Upload(accelerator, b);
        using var dc = Upload(accelerator, c);
        gemm.Multiply(accelerator.DefaultStream, ta, tb, m, n, k, alpha, View(da, a), View(db, b), beta, View(dc, c));
        accelerator.Synchronize();
        return dc.GetAsArray1D()[..c.Length];
    }

    // ILGPU cannot allocate a buffer from an empty array, so an empty operand (k == 0, or m or n == 0) is the empty
    // start of a one-element buffer, as a caller's zero-length view into a larger allocation would be.
    private static MemoryBuffer1D<float, Stride1D.Dense> Upload(Accelerator accelerator, float[] values) =>
        accelerator.Allocate1D(values.Length == 0 ? [0f] : values);

    private static ArrayView<float> View(MemoryBuffer1D<float, Stride1D.Dense> buffer, float[] values) =>
        buffer.View.SubView(0, values.Length);

    private static float[] Normal(Rng rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)rng.NextNormal();
        }

        return values;
    }

    private static void AssertClose(double[] expected, double[] magnitude, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var allowed = (Tolerance * magnitude[i]) + 1e-7;
            Assert.True(
                Math.Abs(actual[i] - expected[i]) <= allowed,
                $"{what}: C[{i}] = {actual[i]:G9}, expected {expected[i]:G9} (allowed {allowed:G3})");
        }
    }
}
