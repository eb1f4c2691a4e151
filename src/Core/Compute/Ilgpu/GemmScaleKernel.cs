using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// C = beta·C for a GEMM whose product term vanishes (m, n or k is 0, or alpha is 0). A separate kernel rather than
/// the tiled one: with alpha == 0 that would still read A and B, which BLAS leaves unread (0·NaN is NaN, and a NaN
/// there must not leak into C), and either way it would cost shared memory and barriers for an elementwise scale.
/// </summary>
internal static class GemmScaleKernel
{
    /// <summary>Loads the kernel once; the caller keeps the delegate.</summary>
    public static Action<AcceleratorStream, Index1D, ArrayView<float>, float> Load(Accelerator accelerator) =>
        accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float>(Scale);

    /// <summary>
    /// Enqueues C[0..count) = beta·C; nothing when beta is 1 or there is nothing to scale (a launch of zero threads
    /// is an error on CUDA).
    /// </summary>
    public static void Run(
        Action<AcceleratorStream, Index1D, ArrayView<float>, float> kernel, AcceleratorStream stream, int count, float beta, ArrayView<float> c)
    {
        if (count > 0 && beta != 1f)
        {
            kernel(stream, count, c.SubView(0, count), beta);
        }
    }

    /// <summary>beta == 0 writes zero without reading, so a NaN already in C does not survive.</summary>
    internal static void Scale(Index1D i, ArrayView<float> c, float beta) => c[i] = beta == 0f ? 0f : beta * c[i];
}
