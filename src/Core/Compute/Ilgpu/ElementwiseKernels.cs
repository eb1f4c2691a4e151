using Distributed.Core.Tensors;
using ILGPU;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// One thread per element. Each kernel is the scalar body of the CPU backend's loop, so the two agree to the bit
/// wherever the CPU's arithmetic is element-wise.
/// </summary>
internal static class ElementwiseKernels
{
    public static void Fill(Index1D i, ArrayView<float> x, float value) => x[i] = value;

    public static void Copy(Index1D i, ArrayView<float> source, ArrayView<float> destination) => destination[i] = source[i];

    public static void Scale(Index1D i, ArrayView<float> x, float alpha) => x[i] *= alpha;

    /// <summary>y[i] += bias[i mod columns], over a rows×columns matrix.</summary>
    public static void AddRowBias(Index1D i, ArrayView<float> y, ArrayView<float> bias, int columns) => y[i] += bias[i % columns];

    /// <summary>One thread per column, adding rows top to bottom: the CPU's order, so the sums agree exactly.</summary>
    public static void AccumulateColumnSums(Index1D column, ArrayView<float> dy, ArrayView<float> sums, int rows, int columns)
    {
        var sum = sums[column];
        for (var r = 0; r < rows; r++)
        {
            sum += dy[(r * columns) + column];
        }

        sums[column] = sum;
    }

    public static void ReluForward(Index1D i, ArrayView<float> x, ArrayView<float> y) => y[i] = x[i] > 0f ? x[i] : 0f;

    public static void ReluBackward(Index1D i, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx) => dx[i] = y[i] > 0f ? dy[i] : 0f;

    /// <summary>The mask from the (seed, index) hash every backend shares, then y = x ⊙ mask.</summary>
    public static void Dropout(Index1D i, ArrayView<float> x, ArrayView<float> mask, ArrayView<float> y, float p, float keep, ulong seed, long firstIndex)
    {
        var m = DropoutUniform(seed, firstIndex + i) < p ? 0f : keep;
        mask[i] = m;
        y[i] = x[i] * m;
    }

    public static void Multiply(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c) => c[i] = a[i] * b[i];

    /// <summary>g += l2·p + l1·sign(p).</summary>
    public static void WeightPenalty(Index1D i, ArrayView<float> p, ArrayView<float> g, float l2, float l1)
    {
        var v = p[i];
        var sign = (v > 0f ? 1f : 0f) - (v < 0f ? 1f : 0f);
        g[i] += (l2 * v) + (l1 * sign);
    }

    /// <summary>The CPU backend's <c>DropoutUniform</c>, restated here because a kernel cannot call into a class with state.</summary>
    public static float DropoutUniform(ulong seed, long index) =>
        (Rng.Mix(seed + ((ulong)index * 0x9E3779B97F4A7C15UL)) >> 40) * (1f / (1 << 24));
}
