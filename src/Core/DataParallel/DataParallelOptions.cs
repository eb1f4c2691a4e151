namespace Distributed.Core.DataParallel;

/// <summary>How a rank takes part in data-parallel training.</summary>
/// <param name="MicroBatches">Parts a rank's shard goes through forward and backward in, gradients summed locally, before the step's one reduction (DDP's no_sync).</param>
public sealed record DataParallelOptions(ZeroStage Zero = ZeroStage.None, int BucketFloats = DataParallelOptions.DefaultBucketFloats, int MicroBatches = 1)
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
    }
}
