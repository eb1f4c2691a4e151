using ILGPU;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The host-side checks every <see cref="IDeviceGemm"/> makes before it enqueues anything. They are not optional:
/// a kernel that reads past a view kills the process on the CPU accelerator and corrupts memory or faults the
/// context on a GPU, so a wrong size must be an exception here, naming the sizes.
/// </summary>
internal static class DeviceGemmArguments
{
    /// <summary>Throws unless the dimensions are non-negative, their products fit an int, and each view is long enough.</summary>
    public static void Validate(int m, int n, int k, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c)
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(m), $"gemm dimensions m={m}, n={n}, k={k} must not be negative");
        }

        // Kernels index with int arithmetic (row·n + col); the operands are at most one float[] long anyway.
        RequireLength("A", a, (long)m * k, $"m·k = {m}·{k}");
        RequireLength("B", b, (long)k * n, $"k·n = {k}·{n}");
        RequireLength("C", c, (long)m * n, $"m·n = {m}·{n}");
    }

    /// <summary>True when the product term vanishes, so C only needs scaling by beta and A and B are never read.</summary>
    public static bool ProductVanishes(int m, int n, int k, float alpha) => m == 0 || n == 0 || k == 0 || alpha == 0f;

    private static void RequireLength(string operand, ArrayView<float> view, long needed, string what)
    {
        if (needed > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(operand, $"gemm {operand} needs {what} = {needed} elements, more than an int indexes");
        }

        if (view.Length < needed)
        {
            throw new ArgumentException($"gemm {operand} needs {what} = {needed} elements but its view holds {view.Length}", operand);
        }
    }
}
