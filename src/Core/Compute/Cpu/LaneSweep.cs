using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Distributed.Core.Compute.Cpu;

/// <summary>An element-wise update of up to five parallel arrays, written once over vector lanes.</summary>
internal interface ILaneUpdate
{
    void Apply(ref Vector<float> p, ref Vector<float> g, ref Vector<float> s0, ref Vector<float> s1, ref Vector<float> s2);
}

/// <summary>
/// Runs an <see cref="ILaneUpdate"/> over [start, end) of parallel arrays, a vector at a time. The last partial
/// vector goes through a zero-padded copy, so the tail uses the very same vector code (and rounds the same way)
/// instead of a second, scalar copy of every optimizer's formula. Arrays an update does not use may be empty.
/// </summary>
internal static class LaneSweep
{
    public static void Run<TUpdate>(in TUpdate update, Span<float> p, Span<float> g, Span<float> s0, Span<float> s1, Span<float> s2, int start, int end)
        where TUpdate : struct, ILaneUpdate
    {
        var w = Vector<float>.Count;
        var spare = default(Vector<float>);
        var i = start;
        for (; i + w <= end; i += w)
        {
            update.Apply(ref At(p, i, ref spare), ref At(g, i, ref spare), ref At(s0, i, ref spare), ref At(s1, i, ref spare), ref At(s2, i, ref spare));
        }

        if (i == end)
        {
            return;
        }

        var n = end - i;
        Span<Vector<float>> tail = stackalloc Vector<float>[5];
        var lanes = MemoryMarshal.Cast<Vector<float>, float>(tail);
        tail.Clear();
        Load(p, i, n, lanes, 0);
        Load(g, i, n, lanes, 1);
        Load(s0, i, n, lanes, 2);
        Load(s1, i, n, lanes, 3);
        Load(s2, i, n, lanes, 4);
        update.Apply(ref tail[0], ref tail[1], ref tail[2], ref tail[3], ref tail[4]);
        Store(p, i, n, lanes, 0);
        Store(g, i, n, lanes, 1);
        Store(s0, i, n, lanes, 2);
        Store(s1, i, n, lanes, 3);
        Store(s2, i, n, lanes, 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref Vector<float> At(Span<float> array, int i, ref Vector<float> spare) =>
        ref array.IsEmpty ? ref spare : ref Unsafe.As<float, Vector<float>>(ref Unsafe.Add(ref MemoryMarshal.GetReference(array), i));

    private static void Load(Span<float> array, int i, int n, Span<float> lanes, int slot)
    {
        if (!array.IsEmpty)
        {
            array.Slice(i, n).CopyTo(lanes.Slice(slot * Vector<float>.Count, n));
        }
    }

    private static void Store(Span<float> array, int i, int n, Span<float> lanes, int slot)
    {
        if (!array.IsEmpty)
        {
            lanes.Slice(slot * Vector<float>.Count, n).CopyTo(array.Slice(i, n));
        }
    }
}
