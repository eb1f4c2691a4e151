namespace Distributed.Core.Collectives;

/// <summary>Which training step and gradient bucket a collective belongs to; carried in every chunk header.</summary>
public readonly record struct CollectiveTag(long Step, int Bucket)
{
    public static CollectiveTag None => new(-1, -1);
}
