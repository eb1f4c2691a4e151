using Distributed.Core.Tensors;

namespace Distributed.Core.Compute;

/// <summary>The argument checks every backend makes before it computes, so all of them reject bad shapes alike.</summary>
internal static class TensorChecks
{
    public static void RequireSameLength(Tensor a, Tensor b, string what)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"{what}: lengths differ ({a.Length} vs {b.Length})");
        }
    }

    public static void RequireLength(Tensor t, long length, string what)
    {
        if (t.Length < length)
        {
            throw new ArgumentException($"{what}: needs {length} elements, has {t.Length}");
        }
    }

    /// <summary>Rows and classes of a logits matrix with one target per row.</summary>
    public static (int Rows, int Classes) ClassRows(Tensor logits, Tensor targets)
    {
        var rows = targets.Length;
        if (rows == 0 || logits.Length % rows != 0)
        {
            throw new ArgumentException($"logits {logits} do not have one row per target ({rows})");
        }

        return (rows, logits.Length / rows);
    }
}
