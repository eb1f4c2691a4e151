namespace Distributed.Core.Data;

/// <summary>8-bit pixel intensities to floats in [0, 1]. A table keeps the result exactly byte/255f while avoiding a divide per pixel.</summary>
internal static class Pixels
{
    private static readonly float[] Unit = CreateTable();

    public static void ToUnit(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            destination[i] = Unit[bytes[i]];
        }
    }

    private static float[] CreateTable()
    {
        var table = new float[256];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = i / 255f;
        }

        return table;
    }
}
