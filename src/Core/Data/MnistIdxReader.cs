using System.Buffers.Binary;

namespace Distributed.Core.Data;

/// <summary>
/// Reads MNIST-style IDX files (raw or gzip'd): an images file (magic 0x00000803, count, rows, cols, then bytes)
/// and a labels file (magic 0x00000801, count, then bytes). Pixels are streamed in chunks so the full 60,000-image
/// file costs only its float array. Any problem is a one-line <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class MnistIdxReader
{
    public const uint ImagesMagic = 0x00000803;
    public const uint LabelsMagic = 0x00000801;

    private const int ImagesHeaderBytes = 16;
    private const int LabelsHeaderBytes = 8;
    private const int Classes = 10;
    private const int ChunkBytes = 1 << 20;

    public static Dataset Read(string imagesPath, string labelsPath, string name)
    {
        using var images = DataFile.Open(imagesPath);
        using var labels = DataFile.Open(labelsPath);

        // Both headers first, so a mismatched pair fails before 47 MB of pixels are decoded.
        var imageDims = ReadHeader(images, ImagesMagic, "images", "count x rows x cols");
        var labelDims = ReadHeader(labels, LabelsMagic, "labels", "count");
        int count = imageDims[0], rows = imageDims[1], cols = imageDims[2];
        if (labelDims[0] != count)
        {
            throw new DataFormatException($"{labelsPath}: {labelDims[0]} labels but {imagesPath} has {count} images");
        }

        var pixelCount = (long)count * rows * cols;
        if (pixelCount > Array.MaxLength)
        {
            throw new DataFormatException($"{imagesPath}: {count} images of {rows}x{cols} are too many to hold in one array");
        }

        // A raw file's size is known: a short one fails before a large array is allocated for it.
        RequireOnDisk(images, ImagesHeaderBytes + pixelCount, $"{count} images of {rows}x{cols}");
        RequireOnDisk(labels, LabelsHeaderBytes + count, $"{count} labels");
        var features = ReadPixels(images, count, rows, cols);
        var targets = ReadLabels(labels, count);
        return new Dataset(name, [1, rows, cols], features, targets, targetLength: 1, Classes);
    }

    /// <summary>
    /// Reads train-images-idx3-ubyte / train-labels-idx1-ubyte (or the t10k- pair for <paramref name="train"/> false),
    /// each with or without ".gz", from <paramref name="dir"/>.
    /// </summary>
    public static Dataset ReadDirectory(string dir, bool train)
    {
        if (!Directory.Exists(dir))
        {
            throw new DataFormatException($"{dir}: directory not found");
        }

        var prefix = Prefix(train);
        var images = FindFile(dir, $"{prefix}-images-idx3-ubyte") ?? throw Missing(dir, $"{prefix}-images-idx3-ubyte");
        var labels = FindFile(dir, $"{prefix}-labels-idx1-ubyte") ?? throw Missing(dir, $"{prefix}-labels-idx1-ubyte");
        var dirName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
        return Read(images, labels, $"{dirName}/{(train ? "train" : "test")}");
    }

    /// <summary>True when <paramref name="dir"/> holds a complete training or test pair.</summary>
    public static bool LooksLikeMnistDirectory(string dir) =>
        Directory.Exists(dir) && (HasPair(dir, train: true) || HasPair(dir, train: false));

    /// <summary>True when the training (train-*) or test (t10k-*) image and label files are both present.</summary>
    public static bool HasSplit(string dir, bool train) => HasPair(dir, train);

    private static bool HasPair(string dir, bool train) =>
        FindFile(dir, $"{Prefix(train)}-images-idx3-ubyte") is not null
        && FindFile(dir, $"{Prefix(train)}-labels-idx1-ubyte") is not null;

    private static string Prefix(bool train) => train ? "train" : "t10k";

    private static string? FindFile(string dir, string baseName)
    {
        var raw = Path.Combine(dir, baseName);
        if (File.Exists(raw))
        {
            return raw;
        }

        return File.Exists(raw + ".gz") ? raw + ".gz" : null;
    }

    private static DataFormatException Missing(string dir, string baseName) =>
        new($"{Path.Combine(dir, baseName)}[.gz]: file not found (no MNIST data of that name in {dir})");

    /// <summary>Checks the magic number and returns the dimensions it announces (the low byte of the magic).</summary>
    private static int[] ReadHeader(DataFile file, uint expectedMagic, string kind, string layout)
    {
        var dims = new int[expectedMagic & 0xFF];
        var headerBytes = 4 * (1 + dims.Length);
        var magic = ReadUInt32(file, headerBytes);
        if (magic != expectedMagic)
        {
            var hint = magic == (expectedMagic == ImagesMagic ? LabelsMagic : ImagesMagic) ? "; images and labels swapped?" : "";
            throw new DataFormatException(
                $"{file.Path}: not an IDX {kind} file: expected magic 0x{expectedMagic:X8}, found 0x{magic:X8}{hint}");
        }

        var raw = new uint[dims.Length];
        for (var i = 0; i < raw.Length; i++)
        {
            raw[i] = ReadUInt32(file, headerBytes);
        }

        var described = string.Join('x', raw);
        if (raw.Any(d => d == 0 || d > int.MaxValue))
        {
            throw new DataFormatException($"{file.Path}: header gives {layout} = {described}; every dimension must be between 1 and {int.MaxValue}");
        }

        for (var i = 0; i < raw.Length; i++)
        {
            dims[i] = (int)raw[i];
        }

        return dims;
    }

    private static uint ReadUInt32(DataFile file, int headerBytes)
    {
        Span<byte> bytes = stackalloc byte[4];
        var n = file.Read(bytes);
        if (n < bytes.Length)
        {
            throw new DataFormatException(
                $"{file.Path}: truncated: the data ends after {file.Position} bytes, inside its {headerBytes}-byte IDX header");
        }

        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    private static float[] ReadPixels(DataFile file, int count, int rows, int cols)
    {
        var features = new float[(long)count * rows * cols];
        var buffer = new byte[Math.Min(features.Length, ChunkBytes)];
        var done = 0;
        while (done < features.Length)
        {
            var want = Math.Min(buffer.Length, features.Length - done);
            var got = file.Read(buffer.AsSpan(0, want));
            Pixels.ToUnit(buffer.AsSpan(0, got), features.AsSpan(done, got));
            done += got;
            if (got < want)
            {
                throw Truncated(file, $"{count} images of {rows}x{cols}", ImagesHeaderBytes + (long)features.Length, file.Position);
            }
        }

        RequireEnd(file, $"{count} images");
        return features;
    }

    private static float[] ReadLabels(DataFile file, int count)
    {
        var labels = new byte[count];
        if (file.Read(labels) < count)
        {
            throw Truncated(file, $"{count} labels", LabelsHeaderBytes + (long)count, file.Position);
        }

        var targets = new float[count];
        for (var i = 0; i < count; i++)
        {
            if (labels[i] >= Classes)
            {
                throw new DataFormatException($"{file.Path}: label {labels[i]} at index {i} is outside 0..{Classes - 1}");
            }

            targets[i] = labels[i];
        }

        RequireEnd(file, $"{count} labels");
        return targets;
    }

    private static void RequireOnDisk(DataFile file, long expectedBytes, string promised)
    {
        if (!file.IsGzip && file.LengthOnDisk < expectedBytes)
        {
            throw Truncated(file, promised, expectedBytes, file.LengthOnDisk);
        }
    }

    private static DataFormatException Truncated(DataFile file, string promised, long expectedBytes, long actualBytes) =>
        new($"{file.Path}: truncated: the header promises {promised} ({expectedBytes} bytes"
            + $"{(file.IsGzip ? " decompressed" : "")}) but the data ends after {actualBytes} bytes");

    /// <summary>Extra bytes mean the header's count is wrong, which would otherwise silently drop samples.</summary>
    private static void RequireEnd(DataFile file, string promised)
    {
        var extra = file.CountRemaining();
        if (extra > 0)
        {
            throw new DataFormatException(
                $"{file.Path}: {extra} bytes follow the {promised} its header describes; the header count or the file is wrong");
        }
    }
}
