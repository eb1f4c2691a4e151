using Distributed.Core.FullBatch;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// The flags a full-batch method (lbfgs, cg, newton) cannot honour, refused in one line each rather than dropped:
/// it steps on the whole training set's loss with a line search, so mini-batches, learning-rate schedules,
/// dropout and ZeRO sharding of optimizer state mean nothing to it.
/// </summary>
internal static class FullBatchFlags
{
    private static readonly TrainSettings Defaults = new();

    /// <summary>The method's settings, or a <see cref="UsageException"/> naming the first flag it cannot use.</summary>
    public static FullBatchSettings Check(TrainSettings s)
    {
        var method = s.Optimizer.Name;
        void Refuse(bool given, string flag, string why)
        {
            if (given)
            {
                throw new UsageException($"{flag} is not used by {method}: {why}");
            }
        }

        Refuse(s.BatchSize != Defaults.BatchSize, "--batch-size", "every step sees the whole training set");
        Refuse(s.Schedule != Defaults.Schedule, "--lr-schedule (and --lr-step-size, --lr-gamma, --lr-min, --warmup-steps)", "the line search picks each step");
        Refuse(s.Dropout != Defaults.Dropout, "--dropout", "the line search needs the same loss at the same point every time");
        Refuse(s.Zero is not (null or 0), "--zero", "every rank keeps the method's whole state, since every rank takes the same steps");
        Refuse(s.BucketMb != Defaults.BucketMb, "--bucket-mb", "the gradient is reduced once, after the whole set's backward");
        return s.Optimizer.FullBatch();
    }
}
