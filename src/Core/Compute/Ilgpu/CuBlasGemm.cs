using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The device GEMM through NVIDIA's cuBLAS, on a CUDA accelerator where the library loads.
/// </summary>
/// <remarks>
/// cuBLAS is column-major, and a row-major r×c matrix is the same memory as its column-major c×r transpose. So the
/// row-major C = op(A)·op(B) is computed as the column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: the operands swap places, m and n
/// swap, and each operand keeps its own transpose flag, because a row-major X read column-major already is Xᵀ.
/// </remarks>
internal sealed class CuBlasGemm : IDeviceGemm
{
    private readonly CuBlas _blas;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, float> _scale;

    private CuBlasGemm(CuBlas blas, Action<AcceleratorStream, Index1D, ArrayView<float>, float> scale)
    {
        _blas = blas;
        _scale = scale;
    }

    public string Name => "cuBLAS";

    /// <summary>
    /// A cuBLAS GEMM on <paramref name="accelerator"/>, or null with the reason in <paramref name="why"/>: not a CUDA
    /// accelerator, or no loadable cuBLAS library (a driver without the CUDA toolkit's libcublas is common).
    /// </summary>
    public static CuBlasGemm? TryCreate(Accelerator accelerator, out string why)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator is not CudaAccelerator cuda)
        {
            why = $"cuBLAS needs a CUDA accelerator, not {accelerator.AcceleratorType} ({accelerator.Name})";
            return null;
        }

        CuBlas? blas = null;
        try
        {
            blas = new CuBlas(cuda);

            // Alpha and beta are host floats; say so rather than trust the handle's default. Default math is full
            // FP32: tensor-op math may round the operands to TF32, which is outside the CPU backend's tolerance.
            blas.PointerMode = CuBlasPointerMode.Host;
            blas.MathMode = CuBlasMathMode.DefaultMath;
            var gemm = new CuBlasGemm(blas, GemmScaleKernel.Load(accelerator));
            why = "";
            return gemm;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            blas?.Dispose();
            why = $"cuBLAS could not be loaded on {accelerator.Name}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}";
            return null;
        }
    }

    public void Multiply(
        AcceleratorStream stream, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ArrayView<float> a, ArrayView<float> b, float beta, ArrayView<float> c)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream is not CudaStream cudaStream)
        {
            throw new ArgumentException($"cuBLAS enqueues on a CUDA stream, not a {stream.GetType().Name}", nameof(stream));
        }

        DeviceGemmArguments.Validate(m, n, k, a, b, c);

        // Our own kernel, not cuBLAS with k = 0: A and B may then be empty views with no device address to pass,
        // and this keeps "alpha == 0 never reads A or B" independent of the library.
        if (DeviceGemmArguments.ProductVanishes(m, n, k, alpha))
        {
            GemmScaleKernel.Run(_scale, stream, m * n, beta, c);
            return;
        }

        if (!ReferenceEquals(_blas.Stream, cudaStream))
        {
            _blas.Stream = cudaStream;
        }

        // Column-major view of the row-major storage (see remarks). The first cuBLAS operand is B: stored k×n it
        // reads as n×k = op(B)ᵀ as is (ld n); stored n×k it reads as k×n = op(B), so cuBLAS transposes it (ld k).
        // The second is A likewise: stored m×k reads as k×m = op(A)ᵀ (ld k); stored k×m reads as op(A) (ld m).
        _blas.Gemm(
            transposeB ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            transposeA ? CuBlasOperation.Transpose : CuBlasOperation.NonTranspose,
            n, m, k,
            alpha,
            b, transposeB ? k : n,
            a, transposeA ? m : k,
            beta,
            c, n);
    }

    public void Dispose() => _blas.Dispose();
}
