using System.Runtime.InteropServices;

namespace Distributed.Core.DataParallel;

/// <summary>FNV-1a over the bits of a float buffer: equal only when every value is bitwise equal.</summary>
public static class ParameterChecksum
{
    public static ulong Of(ReadOnlySpan<float> values)
    {
        var hash = 14695981039346656037UL;
        foreach (var word in MemoryMarshal.Cast<float, uint>(values))
        {
            hash = (hash ^ word) * 1099511628211UL;
        }

        return hash;
    }
}
