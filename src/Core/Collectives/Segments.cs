namespace Distributed.Core.Collectives;

/// <summary>
/// How a flat buffer is divided among ranks: rank r owns [Bounds[r], Bounds[r + 1]). After a reduce-scatter
/// rank r holds the sum of its segment; an all-gather sends each rank's segment to all. Segments may be empty.
/// </summary>
public sealed class Segments
{
    private readonly int[] _bounds;

    private Segments(int[] bounds) => _bounds = bounds;

    public int Count => _bounds.Length - 1;

    public int Start(int rank) => _bounds[rank];

    public int Length(int rank) => _bounds[rank + 1] - _bounds[rank];

    public int Total => _bounds[^1] - _bounds[0];

    /// <summary>⌈length/ranks⌉ per rank, the last ones shorter (or empty) when it does not divide: the ZeRO partition and the all-reduce's segments.</summary>
    public static Segments Even(int length, int ranks, int offset = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ranks);
        var per = (length + ranks - 1) / ranks;
        var bounds = new int[ranks + 1];
        for (var r = 0; r <= ranks; r++)
        {
            bounds[r] = offset + Math.Min(length, r * per);
        }

        return new Segments(bounds);
    }

    /// <summary>The part of each rank's segment of <paramref name="partition"/> that falls inside [start, start + length).</summary>
    public static Segments Clip(Segments partition, int start, int length)
    {
        var bounds = new int[partition._bounds.Length];
        for (var r = 0; r < bounds.Length; r++)
        {
            bounds[r] = Math.Clamp(partition._bounds[r], start, start + length);
        }

        return new Segments(bounds);
    }

    public override string ToString() => string.Join(" | ", Enumerable.Range(0, Count).Select(r => $"[{Start(r)}, {Start(r) + Length(r)})"));
}
