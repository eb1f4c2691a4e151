using System.Buffers.Binary;
using System.IO.Compression;

namespace Distributed.Core.Data;

/// <summary>Writes IDX files that <see cref="MnistIdxReader"/> reads, raw or gzip'd, e.g. to convert other data to MNIST form.</summary>
public static class IdxWriter
{
    /// <summary>Writes <paramref name="count"/> images of rows×cols bytes each, stored row-major in <paramref name="pixels"/>.</summary>
    public static void WriteImages(string path, ReadOnlySpan<byte> pixels, int count, int rows, int cols, bool gzip)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        if ((long)count * rows * cols != pixels.Length)
        {
            throw new ArgumentException($"{count} images of {rows}x{cols} need {(long)count * rows * cols} bytes, got {pixels.Length}", nameof(pixels));
        }

        Write(path, MnistIdxReader.ImagesMagic, [count, rows, cols], pixels, gzip);
    }

    /// <summary>Writes one label byte per sample. Any byte is written: the reader, not the writer, enforces 0–9.</summary>
    public static void WriteLabels(string path, ReadOnlySpan<byte> labels, bool gzip) =>
        Write(path, MnistIdxReader.LabelsMagic, [labels.Length], labels, gzip);

    private static void Write(string path, uint magic, int[] dims, ReadOnlySpan<byte> data, bool gzip)
    {
        var header = new byte[4 * (1 + dims.Length)];
        BinaryPrimitives.WriteUInt32BigEndian(header, magic);
        for (var i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 * (i + 1)), dims[i]);
        }

        using var file = File.Create(path);
        using var stream = gzip ? new GZipStream(file, CompressionLevel.Optimal) : (Stream)file;
        stream.Write(header);
        stream.Write(data);
    }
}
