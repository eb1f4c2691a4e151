using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Distributed.Core.Data;

namespace Distributed.Core.Checkpoints;

/// <summary>
/// A model's flat parameters on disk: the 8-byte magic "DDPPARAM", the count as little-endian int64, then the
/// float32 values little-endian. Small, exact (bit for bit), and checked on read.
/// </summary>
public static class ParameterFile
{
    private static readonly byte[] Magic = "DDPPARAM"u8.ToArray();

    public static void Write(string path, ReadOnlySpan<float> values)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("parameter files are written on little-endian machines only");
        }

        var bytes = new byte[16 + ((long)values.Length * sizeof(float))];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), values.Length);
        MemoryMarshal.AsBytes(values).CopyTo(bytes.AsSpan(16));
        AtomicFile.WriteAllBytes(path, bytes);
    }

    public static float[] Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 16 || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            throw new DataFormatException($"{path}: not a parameter file (bad magic)");
        }

        var count = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        if (count < 0 || count * sizeof(float) != bytes.Length - 16)
        {
            throw new DataFormatException($"{path}: header says {count} parameters but the file holds {(bytes.Length - 16) / sizeof(float)}");
        }

        return MemoryMarshal.Cast<byte, float>(bytes.AsSpan(16)).ToArray();
    }
}
