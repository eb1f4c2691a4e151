using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// A device SGEMM on views of device memory; enqueues on the stream and does not synchronize. Same contract as the
/// CPU backend's Gemm: row-major, C = alpha·op(A)·op(B) + beta·C, op(A) is m×k (stored k×m when transposed), op(B)
/// is k×n (stored n×k when transposed); beta == 0 overwrites C without reading it, and m, n or k of 0 or alpha == 0
/// only scales C by beta, never reading A or B.
/// </summary>
internal interface IDeviceGemm : IDisposable
{
    /// <summary>What runs the product, for logs and benchmarks: "tiled" or "cuBLAS".</summary>
    string Name { get; }

    void Multiply(
        AcceleratorStream stream, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ArrayView<float> a, ArrayView<float> b, float beta, ArrayView<float> c);
}
