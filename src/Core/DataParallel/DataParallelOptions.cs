using Distributed.Core.Training;

namespace Distributed.Core.DataParallel;

/// <summary>How a rank takes part in data-parallel training.</summary>
/// <param name="MicroBatches">Parts a rank's shard goes through forward and backward in, gradients summed locally, before the step's one reduction (DDP's no_sync).</param>
/// <param name="OnNonFinite">What a step whose reduced gradient is not finite does, on every rank alike.</param>
/// <param name="MaxSkips">Under <see cref="NonFinitePolicy.Skip"/>, how many steps may be skipped before training stops.</param>
public sealed record DataParallelOptions(
    ZeroStage Zero = ZeroStage.None, int BucketFloats = DataParallelOptions.DefaultBucketFloats, int MicroBatches = 1,
    NonFinitePolicy OnNonFinite = NonFinitePolicy.Stop, int MaxSkips = NonFiniteGuard.DefaultMaxSkips)
{
    /// <summary>1M floats (4 MB), within the 1–25 MB range PyTorch DDP and DeepSpeed default to.</summary>
    public const int DefaultBucketFloats = 1 << 20;

    public void Validate()
    {
        if (!Enum.IsDefined(Zero))
        {
            throw new ArgumentOutOfRangeException(nameof(Zero), $"ZeRO stage must be 0, 1 or 2, got {(int)Zero}");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BucketFloats, "bucket size");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MicroBatches, "micro-batches");
        ArgumentOutOfRangeException.ThrowIfNegative(MaxSkips, "max skips");
    }
}
