namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// A growable scratch buffer whose usable part starts on a 64-byte boundary, so full-width vector loads from
/// packed panels never straddle a cache line. The array is pinned (allocated on the pinned heap), which keeps
/// the alignment valid for its lifetime. It grows only when a larger matrix arrives, so steady-state training
/// allocates nothing here.
/// </summary>
internal sealed class AlignedScratch
{
    private const int AlignFloats = 16;

    public float[] Array { get; private set; } = [];

    public int Start { get; private set; }

    public Span<float> Span(int length)
    {
        if (Array.Length - Start < length)
        {
            Grow(length);
        }

        return Array.AsSpan(Start, length);
    }

    private unsafe void Grow(int length)
    {
        var array = GC.AllocateUninitializedArray<float>(checked(length + AlignFloats), pinned: true);
        fixed (float* p = array)
        {
            var misalignment = (int)((nuint)p % (AlignFloats * sizeof(float)));
            Start = misalignment == 0 ? 0 : ((AlignFloats * sizeof(float)) - misalignment) / sizeof(float);
        }

        Array = array;
    }
}
