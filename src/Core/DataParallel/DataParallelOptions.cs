namespace Distributed.Core.DataParallel;

/// <summary>How a rank takes part in data-parallel training.</summary>
public sealed record DataParallelOptions(ZeroStage Zero = ZeroStage.None, int BucketFloats = DataParallelOptions.DefaultBucketFloats)
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
    }
}
