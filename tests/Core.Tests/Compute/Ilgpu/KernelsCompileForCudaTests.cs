using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>Every convolution and pooling kernel translates to PTX: what a CPU-accelerator run cannot show.</summary>
[Collection(IlgpuCollection.Name)]
public sealed class KernelsCompileForCudaTests
{
    [Theory]
    [InlineData(typeof(ConvKernels), nameof(ConvKernels.Im2ColKernel), false)]
    [InlineData(typeof(ConvKernels), nameof(ConvKernels.Col2ImKernel), false)]
    [InlineData(typeof(ConvKernels), nameof(ConvKernels.RowsToBatchAddBiasKernel), false)]
    [InlineData(typeof(ConvKernels), nameof(ConvKernels.BatchToRowsKernel), false)]
    [InlineData(typeof(ConvKernels), nameof(ConvKernels.RowSumsKernel), true)]
    [InlineData(typeof(PoolKernels), nameof(PoolKernels.ForwardKernel), false)]
    [InlineData(typeof(PoolKernels), nameof(PoolKernels.BackwardKernel), false)]
    public void KernelCompilesToPtx(Type owner, string kernel, bool explicitlyGrouped)
    {
        var ptx = PtxCompiler.Compile(owner, kernel, explicitlyGrouped);

        Assert.Contains(".entry", ptx);
    }
}
