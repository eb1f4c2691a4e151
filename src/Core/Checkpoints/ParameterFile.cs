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
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        // Write beside the target and rename, so a reader never sees half a file.
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
        {
            file.Write(Magic);
            Span<byte> count = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(count, values.Length);
            file.Write(count);
            if (!BitConverter.IsLittleEndian)
            {
                throw new PlatformNotSupportedException("parameter files are written on little-endian machines only");
            }

            file.Write(MemoryMarshal.AsBytes(values));
        }

        File.Move(temp, path, overwrite: true);
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
