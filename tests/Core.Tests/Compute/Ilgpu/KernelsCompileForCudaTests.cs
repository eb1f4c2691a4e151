using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>Every kernel the ILGPU backend loads translates to PTX: what a CPU-accelerator run cannot show.</summary>
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
    [InlineData(typeof(AvgPoolKernels), nameof(AvgPoolKernels.ForwardKernel), false)]
    [InlineData(typeof(AvgPoolKernels), nameof(AvgPoolKernels.BackwardKernel), false)]
    [InlineData(typeof(ActivationKernels), nameof(ActivationKernels.Forward), false)]
    [InlineData(typeof(ActivationKernels), nameof(ActivationKernels.Backward), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Fill), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Copy), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Scale), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.AddRowBias), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.AccumulateColumnSums), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.ReluForward), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.ReluBackward), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Dropout), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.Multiply), false)]
    [InlineData(typeof(ElementwiseKernels), nameof(ElementwiseKernels.WeightPenalty), false)]
    [InlineData(typeof(UpdateKernels), nameof(UpdateKernels.Sgd), false)]
    [InlineData(typeof(UpdateKernels), nameof(UpdateKernels.AdaGrad), false)]
    [InlineData(typeof(UpdateKernels), nameof(UpdateKernels.RmsProp), false)]
    [InlineData(typeof(UpdateKernels), nameof(UpdateKernels.Adam), false)]
    [InlineData(typeof(LossKernels), nameof(LossKernels.SoftmaxCrossEntropy), false)]
    [InlineData(typeof(LossKernels), nameof(LossKernels.SquaredError), false)]
    [InlineData(typeof(LossKernels), nameof(LossKernels.CountCorrect), false)]
    [InlineData(typeof(ReductionKernels), nameof(ReductionKernels.SquaresByLane), false)]
    [InlineData(typeof(ReductionKernels), nameof(ReductionKernels.SumBlocks), false)]
    [InlineData(typeof(TiledGemmKernel), nameof(TiledGemmKernel.Multiply), true)]
    [InlineData(typeof(GemmScaleKernel), nameof(GemmScaleKernel.Scale), false)]
    public void KernelCompilesToPtx(Type owner, string kernel, bool explicitlyGrouped)
    {
        var ptx = PtxCompiler.Compile(owner, kernel, explicitlyGrouped);

        Assert.Contains(".entry", ptx);
    }
}
