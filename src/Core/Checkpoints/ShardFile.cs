using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Distributed.Core.Data;

namespace Distributed.Core.Checkpoints;

/// <summary>
/// One rank's shard of a checkpoint: the same flat range [offset, offset + length) of several tensors (the
/// parameters, then each optimizer state tensor). Layout: the magic "DDPSHARD", format, offset and length, the
/// tensor names, then each tensor's float32 values little-endian. Written atomically; its SHA-256 goes into the
/// manifest, which is how a flipped byte or a truncated file is found before anything is loaded.
/// </summary>
public static class ShardFile
{
    private const int Format = 1;
    private static readonly byte[] Magic = "DDPSHARD"u8.ToArray();

    /// <summary>Writes the range of each tensor to <paramref name="path"/> and returns what the manifest records of it.</summary>
    public static CheckpointShard Write(string path, long offset, IReadOnlyList<(string Name, ReadOnlyMemory<float> Values)> tensors)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("checkpoints are written on little-endian machines only");
        }

        var length = tensors.Count == 0 ? 0 : tensors[0].Values.Length;
        if (tensors.Any(t => t.Values.Length != length))
        {
            throw new ArgumentException("every tensor of a shard covers the same range");
        }

        var names = tensors.Select(t => Encoding.UTF8.GetBytes(t.Name)).ToArray();
        var header = 8 + 4 + 8 + 8 + 4 + names.Sum(n => 4 + n.Length);
        var bytes = new byte[header + ((long)tensors.Count * length * sizeof(float))];
        var at = 0;
        Magic.CopyTo(bytes, at);
        at += 8;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), Format);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 4), offset);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at + 12), length);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 20), tensors.Count);
        at += 24;
        foreach (var name in names)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), name.Length);
            name.CopyTo(bytes, at + 4);
            at += 4 + name.Length;
        }

        foreach (var (_, values) in tensors)
        {
            MemoryMarshal.AsBytes(values.Span).CopyTo(bytes.AsSpan(at));
            at += length * sizeof(float);
        }

        AtomicFile.WriteAllBytes(path, bytes);
        return new CheckpointShard(Path.GetFileName(path), offset, length, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>
    /// Reads a shard the manifest describes, checking its size, checksum, range and tensor names; returns each
    /// tensor's values over the shard's range, in the manifest's order.
    /// </summary>
    public static float[][] Read(string directory, CheckpointShard shard, IReadOnlyList<string> names)
    {
        var path = Path.Combine(directory, shard.File);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException($"{path}: cannot be read ({ex.Message})", ex);
        }

        if (bytes.Length != shard.Bytes)
        {
            throw new DataFormatException($"{path}: {bytes.Length} bytes, the manifest says {shard.Bytes} (truncated or replaced)");
        }

        if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != shard.Sha256)
        {
            throw new DataFormatException($"{path}: SHA-256 differs from the manifest's (the file is corrupt)");
        }

        // The checksum matched, so what follows was written by ShardFile.Write; the checks below catch a manifest
        // that pairs a shard with the wrong range or optimizer.
        if (!bytes.AsSpan(0, 8).SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8)) != Format)
        {
            throw new DataFormatException($"{path}: not a checkpoint shard of format {Format}");
        }

        var offset = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(12));
        var length = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(20));
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(28));
        var at = 32;
        var stored = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var n = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            stored.Add(Encoding.UTF8.GetString(bytes, at + 4, n));
            at += 4 + n;
        }

        if (offset != shard.Offset || length != shard.Length || !stored.SequenceEqual(names))
        {
            throw new DataFormatException($"{path}: holds [{offset}, {offset + length}) of {string.Join(", ", stored)}; the manifest expects [{shard.Offset}, {shard.Offset + shard.Length}) of {string.Join(", ", names)}");
        }

        var tensors = new float[count][];
        for (var i = 0; i < count; i++)
        {
            tensors[i] = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(at, (int)(length * sizeof(float)))).ToArray();
            at += (int)(length * sizeof(float));
        }

        return tensors;
    }
}
