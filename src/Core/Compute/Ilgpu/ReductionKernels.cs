using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Sums in a fixed order, never with atomics (ILGPU.Algorithms' Reduce ends in atomic adds, whose order and so
/// whose rounding change from run to run). A fixed number of groups, independent of the device, each walk a fixed
/// stride and fold their 256 partial sums as a tree; the host adds the group totals in order. The same input gives
/// the same bits on every run and on every device that rounds doubles alike.
/// </summary>
internal static class ReductionKernels
{
    /// <summary>Groups a reduction always uses: enough to fill a GPU's multiprocessors with memory traffic.</summary>
    public const int Groups = 128;

    public static KernelConfig Config => new(Groups, IlgpuDevices.GroupSize);

    /// <summary>partials[group] = Σ x² over the elements the group's threads visit, in double.</summary>
    public static void SumOfSquares(ArrayView<float> x, ArrayView<double> partials, int length)
    {
        var shared = SharedMemory.Allocate<double>(IlgpuDevices.GroupSize);
        var stride = Groups * IlgpuDevices.GroupSize;
        double sum = 0;
        for (var i = (Grid.IdxX * IlgpuDevices.GroupSize) + Group.IdxX; i < length; i += stride)
        {
            var v = (double)x[i];
            sum += v * v;
        }

        shared[Group.IdxX] = sum;
        FoldGroup(shared);
        if (Group.IsFirstThread)
        {
            partials[Grid.IdxX] = shared[0];
        }
    }

    /// <summary>Halves the live part of <paramref name="shared"/> until element 0 holds the group's total.</summary>
    public static void FoldGroup(ArrayView<double> shared)
    {
        for (var half = IlgpuDevices.GroupSize / 2; half > 0; half >>= 1)
        {
            Group.Barrier();
            if (Group.IdxX < half)
            {
                shared[Group.IdxX] += shared[Group.IdxX + half];
            }
        }

        Group.Barrier();
    }
}
