namespace Distributed.Core.Collectives;

/// <summary>
/// Which training step and which of its collectives a message belongs to; carried in every chunk header. A gradient
/// bucket's reduction carries the bucket's index; the step's other collectives carry the negative codes named here,
/// the one place that knows them (the int travels as it is, so the wire format does not change).
/// </summary>
public readonly record struct CollectiveTag(long Step, int Bucket)
{
    private const int ParameterGatherCode = -1;
    private const int GradientNormCode = -2;

    /// <summary>Full-batch sums take the codes below this one: the k-th of a step is FirstFullBatchCode − k.</summary>
    private const int FirstFullBatchCode = -3;

    /// <summary>A collective outside any training step (tests, benchmarks).</summary>
    public static CollectiveTag None => new(-1, -1);

    /// <summary>The reduction of gradient bucket <paramref name="bucket"/> of step <paramref name="step"/>.</summary>
    public static CollectiveTag ForBucket(long step, int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        return new(step, bucket);
    }

    /// <summary>The all-gather of the updated parameter slices under ZeRO stages 1 and 2.</summary>
    public static CollectiveTag ParameterGather(long step) => new(step, ParameterGatherCode);

    /// <summary>The scalar all-reduce of Σg² that clipping by the global norm needs under ZeRO stage 2.</summary>
    public static CollectiveTag GradientNorm(long step) => new(step, GradientNormCode);

    /// <summary>The <paramref name="index"/>-th exact sum of a full-batch method's step (its evaluations and Hessian products, in order).</summary>
    public static CollectiveTag FullBatchSum(long step, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        return new(step, FirstFullBatchCode - index);
    }

    /// <summary>Where in its step a collective is, as stall reports print it; <paramref name="collective"/> names a bucket's phase.</summary>
    public string Describe(string collective) => Bucket switch
    {
        ParameterGatherCode => "in the parameter all-gather",
        GradientNormCode => "in the gradient-norm all-reduce",
        <= FirstFullBatchCode => $"in the full-batch sum {FirstFullBatchCode - Bucket}",
        var b => $"in bucket {b}'s {collective}",
    };
}
