using ILGPU;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Sums in a fixed order, never with atomics (ILGPU.Algorithms' Reduce ends in atomic adds, whose order and so
/// whose rounding change from run to run). A fixed number of lanes, independent of the device, each add every
/// <see cref="Lanes"/>-th element; then each of <see cref="Blocks"/> threads adds a run of consecutive lanes; the
/// host adds the block totals in order. No barriers either, which keeps it fast on ILGPU's CPU accelerator, where a
/// group barrier costs milliseconds. The same input gives the same bits on every run and every device.
/// </summary>
internal static class ReductionKernels
{
    /// <summary>Partial sums in the first pass: enough threads to keep a GPU's memory bus busy, reading coalesced.</summary>
    public const int Lanes = Blocks * LanesPerBlock;

    /// <summary>Totals the host adds at the end.</summary>
    public const int Blocks = 128;

    private const int LanesPerBlock = 256;

    /// <summary>lanes[i] = Σ x[j]² over j ≡ i (mod <see cref="Lanes"/>), in double.</summary>
    public static void SquaresByLane(Index1D lane, ArrayView<float> x, ArrayView<double> lanes, int length)
    {
        double sum = 0;
        for (var j = (int)lane; j < length; j += Lanes)
        {
            var v = (double)x[j];
            sum += v * v;
        }

        lanes[lane] = sum;
    }

    /// <summary>blocks[b] = Σ lanes[b·256 .. b·256 + 255], in order.</summary>
    public static void SumBlocks(Index1D block, ArrayView<double> lanes, ArrayView<double> blocks)
    {
        double sum = 0;
        var first = block * LanesPerBlock;
        for (var i = 0; i < LanesPerBlock; i++)
        {
            sum += lanes[first + i];
        }

        blocks[block] = sum;
    }
}
