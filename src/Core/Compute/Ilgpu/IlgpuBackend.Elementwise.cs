using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Ilgpu;

public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float> _fill = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _copy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, float> _scale = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int> _addRowBias = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int> _columnSums = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>> _reluForward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _reluBackward = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, long> _dropout = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> _multiply = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, float, float> _penalty = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<double>, int> _squaresByLane = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<double>, ArrayView<double>> _sumBlocks = null!;

    public void Fill(Tensor x, float value)
    {
        using var scope = Enter();
        if (x.Length > 0)
        {
            _fill(_stream, x.Length, View(x), value);
        }
    }

    public void Copy(Tensor source, Tensor destination)
    {
        RequireSameLength(source, destination, "copy");
        using var scope = Enter();
        if (source.Length > 0)
        {
            _copy(_stream, source.Length, View(source), View(destination));
        }
    }

    public void Scale(Tensor x, float alpha)
    {
        using var scope = Enter();
        if (x.Length > 0)
        {
            _scale(_stream, x.Length, View(x), alpha);
        }
    }

    public double SumOfSquares(Tensor x)
    {
        using var scope = Enter();
        if (x.Length == 0)
        {
            return 0;
        }

        _squaresByLane(_stream, ReductionKernels.Lanes, View(x), _lanes.View, x.Length);
        _sumBlocks(_stream, ReductionKernels.Blocks, _lanes.View, _partials.View);
        double sum = 0;
        foreach (var partial in _tensors.Read<double>(_partials.View, ReductionKernels.Blocks))
        {
            sum += partial;
        }

        return sum;
    }

    public void AddRowBias(Tensor y, Tensor bias)
    {
        var cols = RowsOf(y, bias);
        using var scope = Enter();
        if (y.Length > 0)
        {
            _addRowBias(_stream, y.Length, View(y), View(bias), cols);
        }
    }

    public void AccumulateRowBiasGrad(Tensor dy, Tensor biasGrad)
    {
        var cols = RowsOf(dy, biasGrad);
        using var scope = Enter();
        _columnSums(_stream, cols, View(dy), View(biasGrad), dy.Length / cols, cols);
    }

    public void ReluForward(Tensor x, Tensor y)
    {
        RequireSameLength(x, y, "relu");
        using var scope = Enter();
        if (x.Length > 0)
        {
            _reluForward(_stream, x.Length, View(x), View(y));
        }
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        RequireSameLength(y, dy, "relu backward");
        RequireSameLength(y, dx, "relu backward");
        using var scope = Enter();
        if (y.Length > 0)
        {
            _reluBackward(_stream, y.Length, View(y), View(dy), View(dx));
        }
    }

    public void DropoutForward(Tensor x, Tensor mask, Tensor y, float p, ulong seed, long firstIndex)
    {
        RequireSameLength(x, mask, "dropout");
        RequireSameLength(x, y, "dropout");
        using var scope = Enter();
        if (x.Length > 0)
        {
            _dropout(_stream, x.Length, View(x), View(mask), View(y), p, 1f / (1f - p), seed, firstIndex);
        }
    }

    public void Multiply(Tensor a, Tensor b, Tensor c)
    {
        RequireSameLength(a, b, "multiply");
        RequireSameLength(a, c, "multiply");
        using var scope = Enter();
        if (a.Length > 0)
        {
            _multiply(_stream, a.Length, View(a), View(b), View(c));
        }
    }

    public void AddWeightPenalty(Tensor parameters, Tensor gradients, float l2, float l1)
    {
        RequireSameLength(parameters, gradients, "weight penalty");
        using var scope = Enter();
        if (parameters.Length > 0)
        {
            _penalty(_stream, parameters.Length, View(parameters), View(gradients), l2, l1);
        }
    }

    private static int RowsOf(Tensor matrix, Tensor bias)
    {
        var cols = bias.Length;
        if (cols == 0 || matrix.Length % cols != 0)
        {
            throw new ArgumentException($"bias of {cols} does not divide {matrix}");
        }

        return cols;
    }

    private void LoadElementwise()
    {
        var a = _accelerator;
        _fill = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Fill);
        _copy = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Copy);
        _scale = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, float>(ElementwiseKernels.Scale);
        _addRowBias = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.AddRowBias);
        _columnSums = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(ElementwiseKernels.AccumulateColumnSums);
        _reluForward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ReluForward);
        _reluBackward = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.ReluBackward);
        _dropout = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, long>(ElementwiseKernels.Dropout);
        _multiply = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Multiply);
        _penalty = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, float, float>(ElementwiseKernels.WeightPenalty);
        _squaresByLane = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<double>, int>(ReductionKernels.SquaresByLane);
        _sumBlocks = a.LoadAutoGroupedKernel<Index1D, ArrayView<double>, ArrayView<double>>(ReductionKernels.SumBlocks);
    }
}
