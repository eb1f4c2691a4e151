using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Ilgpu;

public sealed partial class IlgpuBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, float> _softmaxCrossEntropy = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, float> _squaredError = null!;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int> _countCorrect = null!;
    private MemoryBuffer1D<double, Stride1D.Dense> _lanes = null!;
    private MemoryBuffer1D<double, Stride1D.Dense> _partials = null!;
    private MemoryBuffer1D<double, Stride1D.Dense> _terms = null!;
    private MemoryBuffer1D<int, Stride1D.Dense> _hits = null!;

    public double SoftmaxCrossEntropy(Tensor logits, Tensor targets, Tensor dLogits, float gradScale)
    {
        var (rows, classes) = ClassRows(logits, targets);
        RequireSameLength(logits, dLogits, "cross-entropy gradient");
        using var scope = Enter();
        var terms = Grow(ref _terms, rows);
        _softmaxCrossEntropy(_stream, rows, View(logits), View(targets), View(dLogits), terms, classes, gradScale);
        double total = 0;
        var r = 0;
        foreach (var term in _tensors.Read(terms, rows))
        {
            if (term == LossKernels.BadTarget)
            {
                throw BadTarget(targets, r, classes);
            }

            total += term;
            r++;
        }

        return total;
    }

    public double SquaredError(Tensor predictions, Tensor targets, Tensor dPredictions, float gradScale)
    {
        RequireSameLength(predictions, targets, "squared error");
        RequireSameLength(predictions, dPredictions, "squared error gradient");
        using var scope = Enter();
        if (predictions.Length == 0)
        {
            return 0;
        }

        var terms = Grow(ref _terms, predictions.Length);
        _squaredError(_stream, predictions.Length, View(predictions), View(targets), View(dPredictions), terms, gradScale);
        double total = 0;
        foreach (var term in _tensors.Read(terms, predictions.Length))
        {
            total += term;
        }

        return total;
    }

    public int CountCorrect(Tensor logits, Tensor targets)
    {
        var (rows, classes) = ClassRows(logits, targets);
        using var scope = Enter();
        var hits = Grow(ref _hits, rows);
        _countCorrect(_stream, rows, View(logits), View(targets), hits, classes);
        var correct = 0;
        var r = 0;
        foreach (var hit in _tensors.Read(hits, rows))
        {
            if (hit < 0)
            {
                throw BadTarget(targets, r, classes);
            }

            correct += hit;
            r++;
        }

        return correct;
    }

    /// <summary>The CPU backend's error for a target that is not a class; the value is read back only on this path.</summary>
    private ArgumentOutOfRangeException BadTarget(Tensor targets, int row, int classes)
    {
        _tensors.Download(targets);
        return new ArgumentOutOfRangeException(nameof(targets), $"target {targets[row]} in row {row} is not a class in [0, {classes})");
    }

    /// <summary>A view of at least <paramref name="length"/> elements of a scratch buffer, reallocating it when short.</summary>
    private ArrayView<T> Grow<T>(ref MemoryBuffer1D<T, Stride1D.Dense> buffer, long length)
        where T : unmanaged
    {
        if (buffer.Length < length)
        {
            _tensors.Synchronize();
            buffer.Dispose();
            buffer = _accelerator.Allocate1D<T>(Math.Max(length, buffer.Length * 2));
        }

        return buffer.View.SubView(0, length);
    }

    private void LoadLosses()
    {
        var a = _accelerator;
        _softmaxCrossEntropy = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, int, float>(LossKernels.SoftmaxCrossEntropy);
        _squaredError = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<double>, float>(LossKernels.SquaredError);
        _countCorrect = a.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int>(LossKernels.CountCorrect);
        _lanes = a.Allocate1D<double>(ReductionKernels.Lanes);
        _partials = a.Allocate1D<double>(ReductionKernels.Blocks);
        _terms = a.Allocate1D<double>(1024);
        _hits = a.Allocate1D<int>(1024);
    }

    private void DisposeLosses()
    {
        _lanes.Dispose();
        _partials.Dispose();
        _terms.Dispose();
        _hits.Dispose();
    }
}
