using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The portable device GEMM: <see cref="TiledGemmKernel"/> on any ILGPU accelerator, the CPU one included, so it is
/// the reference every faster GEMM (cuBLAS) is checked against and the fallback where none loads.
/// </summary>
internal sealed class TiledGemm : IDeviceGemm
{
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int, float, float> _multiply;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, float> _scale;

    /// <summary>Compiles both kernels now, so the first Multiply on the training path does not pay for it.</summary>
    public TiledGemm(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.MaxNumThreadsPerGroup < IlgpuDevices.GroupSize)
        {
            throw new ArgumentException(
                $"{accelerator.Name} runs at most {accelerator.MaxNumThreadsPerGroup} threads per group; the tiled GEMM needs {IlgpuDevices.GroupSize}",
                nameof(accelerator));
        }

        _multiply = TiledGemmKernel.Load(accelerator);
        _scale = GemmScaleKernel.Load(accelerator);
    }

    public string Name => "tiled";

    public void Multiply(
        AcceleratorStream stream, bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ArrayView<float> a, ArrayView<float> b, float beta, ArrayView<float> c)
    {
        ArgumentNullException.ThrowIfNull(stream);
        DeviceGemmArguments.Validate(m, n, k, a, b, c);
        if (DeviceGemmArguments.ProductVanishes(m, n, k, alpha))
        {
            GemmScaleKernel.Run(_scale, stream, m * n, beta, c);
            return;
        }

        _multiply(stream, TiledGemmKernel.Config(m, n), a, b, c, m, n, k, transposeA ? 1 : 0, transposeB ? 1 : 0, alpha, beta);
    }

    /// <summary>Nothing to free: the kernels belong to the accelerator, which outlives this object.</summary>
    public void Dispose()
    {
    }
}
