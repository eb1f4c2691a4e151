using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute;

/// <summary>
/// Gemm against the double-precision triple loop, written once for any backend. A float32 result may differ from
/// the exact one by a rounding error relative to Σ|alpha·a·b| + |beta·c|; 1e-5 of that is about 100 float ulps,
/// generous for sequential FMA accumulation yet far below any indexing or transposition mistake.
/// </summary>
public abstract class GemmTests
{
    private const double Tolerance = 1e-5;

    public static readonly int[][] Shapes =
    [
        [1, 1, 1],
        [5, 13, 7],
        [3, 17, 33],
        [257, 3, 5],
        [4, 6, 1000],
        [8, 16, 9],
        [5, 16, 3],
        [4, 32, 11],
        [9, 32, 17],
        [2, 1, 40],
        [1, 40, 2],
        [33, 47, 29],
        [6, 32, 256],
        [7, 33, 257],
        [700, 2, 9],
        [2, 700, 9],
        [3, 5, 1500],
        [13, 70, 600],
    ];

    public static TheoryData<int, int, int, bool, bool> ShapesAndTransposes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var s in Shapes)
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

    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [MemberData(nameof(ShapesAndTransposes))]
    public void MatchesNaiveProduct(int m, int n, int k, bool transposeA, bool transposeB) =>
        AssertMatchesReference(CreateBackend(), m, n, k, transposeA, transposeB, alpha: 1.5f, beta: -0.75f, seed: (ulong)((m * 31) + n + k));

    [Theory]
    [InlineData(1f, 0f)]
    [InlineData(1f, 1f)]
    [InlineData(-2f, 1f)]
    [InlineData(0.5f, 2f)]
    [InlineData(0f, 0.5f)]
    [InlineData(0f, 0f)]
    public void HonoursAlphaAndBeta(float alpha, float beta)
    {
        var backend = CreateBackend();
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            AssertMatchesReference(backend, 7, 19, 10, ta, tb, alpha, beta, seed: 5);
        }
    }

    [Fact]
    public void BetaZeroOverwritesEvenNaN()
    {
        var c = new Tensor(3, 4);
        c.Span.Fill(float.NaN);
        var a = GradientCheck.Normal(new Rng(1), 1f, 3, 5);
        var b = GradientCheck.Normal(new Rng(2), 1f, 5, 4);

        CreateBackend().Gemm(false, false, 3, 4, 5, 1f, a, b, 0f, c);

        Assert.All(c.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void WorksOnViewsAndLeavesTheRestOfTheStorageAlone()
    {
        // Parameters and gradients are views into one flat buffer: operands start at an offset and are followed
        // by other tensors' data, which must survive.
        const int m = 6, n = 5, k = 7;
        var storage = GradientCheck.Normal(new Rng(3), 1f, 3 + (m * k) + 11 + (k * n) + 13 + (m * n) + 17);
        var a = storage.View(3, m, k);
        var b = storage.View(3 + (m * k) + 11, k, n);
        var c = storage.View(3 + (m * k) + 11 + (k * n) + 13, m, n);
        var before = storage.ToArray();
        var (expected, magnitude) = ReferenceKernels.Gemm(true, true, m, n, k, 2, a.ToArray(), b.ToArray(), 0.5, c.ToArray());

        // Interpreted as transposes: A is read as k×m and B as n×k.
        CreateBackend().Gemm(true, true, m, n, k, 2f, a, b, 0.5f, c);

        AssertClose(expected, magnitude, c.ToArray(), "view");
        var after = storage.ToArray();
        for (var i = 0; i < after.Length; i++)
        {
            if (i < c.Offset || i >= c.Offset + c.Length)
            {
                Assert.Equal(before[i], after[i]);
            }
        }
    }

    [Fact]
    public void ReusedBackendGivesTheSameResultsAsAFreshOne()
    {
        // Transposed operands are packed into scratch that grows and is reused across calls.
        var reused = CreateBackend();
        foreach (var s in Shapes.Reverse().Concat(Shapes))
        {
            AssertMatchesReference(reused, s[0], s[1], s[2], true, true, 1f, 0f, seed: 9);
        }
    }

    protected static (Tensor A, Tensor B, Tensor C) Operands(int m, int n, int k, ulong seed)
    {
        var rng = new Rng(seed);
        return (GradientCheck.Normal(rng, 1f, m * k), GradientCheck.Normal(rng, 1f, k * n), GradientCheck.Normal(rng, 1f, m * n));
    }

    private static void AssertMatchesReference(IComputeBackend backend, int m, int n, int k, bool ta, bool tb, float alpha, float beta, ulong seed)
    {
        var (a, b, c) = Operands(m, n, k, seed);
        var (expected, magnitude) = ReferenceKernels.Gemm(ta, tb, m, n, k, alpha, a.ToArray(), b.ToArray(), beta, c.ToArray());

        backend.Gemm(ta, tb, m, n, k, alpha, a, b, beta, c);

        AssertClose(expected, magnitude, c.ToArray(), $"{m}x{n}x{k} ta={ta} tb={tb} alpha={alpha} beta={beta}");
    }

    private static void AssertClose(double[] expected, double[] magnitude, float[] actual, string what)
    {
        for (var i = 0; i < expected.Length; i++)
        {
            var allowed = (Tolerance * magnitude[i]) + 1e-7;
            Assert.True(
                Math.Abs(actual[i] - expected[i]) <= allowed,
                $"{what}: C[{i}] = {actual[i]:G9}, expected {expected[i]:G9} (allowed {allowed:G3})");
        }
    }
}
