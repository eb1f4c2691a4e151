using ILGPU;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Host-side checks made before every launch. A kernel indexes its views without bounds checks on a GPU, and on
/// the CPU accelerator an out-of-range access ends the process, so a wrong size must fail here as an exception.
/// Kernels index with int, so every element count must also fit in one.
/// </summary>
internal static class LaunchChecks
{
    public static void RequirePositive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive");
        }
    }

    /// <summary>The product of the sizes, or an ArgumentException when it does not fit int indexing.</summary>
    public static int Count(string what, params ReadOnlySpan<long> sizes)
    {
        long count = 1;
        foreach (var size in sizes)
        {
            count *= size;
            if (count > int.MaxValue)
            {
                throw new ArgumentException($"{what} has more than {int.MaxValue} elements; the kernels index with 32-bit ints");
            }
        }

        return (int)count;
    }

    /// <summary>A view may be longer than needed (a buffer sized for the full batch serves a partial one); never shorter.</summary>
    public static void RequireLength(ArrayView<float> view, long needed, string what)
    {
        if (view.Length < needed)
        {
            throw new ArgumentException($"{what} view holds {view.Length} floats; the kernel touches {needed}");
        }
    }
}
