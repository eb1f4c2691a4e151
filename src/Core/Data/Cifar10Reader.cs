namespace Distributed.Core.Data;

/// <summary>
/// Reads the CIFAR-10 binary version: records of one label byte (0–9) then 3,072 pixel bytes (the 32×32 red plane,
/// then green, then blue, each row-major), which is already the [3, 32, 32] channel-first layout a sample needs.
/// Any problem is a one-line <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class Cifar10Reader
{
    public const int ImageBytes = 3 * 32 * 32;
    public const int RecordBytes = 1 + ImageBytes;
    public const string BatchDirectoryName = "cifar-10-batches-bin";
    public const string TestBatchName = "test_batch.bin";

    private const int Classes = 10;
    private const int TrainBatches = 5;
    private const int RecordsPerChunk = 256;

    public static Dataset ReadFiles(IReadOnlyList<string> files, string name)
    {
        if (files.Count == 0)
        {
            throw new DataFormatException($"{name}: no CIFAR-10 batch files given");
        }

        // Sizes first: a short last file should fail before the others are decoded, and the arrays are allocated once.
        var records = new int[files.Count];
        long total = 0;
        for (var i = 0; i < files.Count; i++)
        {
            records[i] = CountRecords(files[i]);
            total += records[i];
        }

        if (total * ImageBytes > Array.MaxLength)
        {
            throw new DataFormatException($"{files[^1]}: {total} CIFAR-10 images in all are too many to hold in one array");
        }

        var features = new float[total * ImageBytes];
        var targets = new float[total];
        var offset = 0;
        for (var i = 0; i < files.Count; i++)
        {
            ReadRecords(files[i], records[i], features, targets, offset);
            offset += records[i];
        }

        return new Dataset(name, [3, 32, 32], features, targets, targetLength: 1, Classes);
    }

    /// <summary>
    /// Training data is whichever of data_batch_1.bin … data_batch_5.bin exist (at least one); test data is
    /// test_batch.bin. <paramref name="dir"/> may also be the parent of the extracted cifar-10-batches-bin folder.
    /// </summary>
    public static Dataset ReadDirectory(string dir, bool train)
    {
        var root = ResolveBatchDirectory(dir);
        var split = train ? "train" : "test";
        if (!train)
        {
            var test = Path.Combine(root, TestBatchName);
            return File.Exists(test)
                ? ReadFiles([test], $"cifar10/{split}")
                : throw new DataFormatException($"{test}: file not found (no CIFAR-10 test batch in {root})");
        }

        var batches = TrainBatchPaths(root).Where(File.Exists).ToList();
        if (batches.Count == 0)
        {
            throw new DataFormatException(
                $"{root}: no CIFAR-10 training batches found (expected data_batch_1.bin … data_batch_{TrainBatches}.bin)");
        }

        return ReadFiles(batches, $"cifar10/{split}");
    }

    /// <summary>True when <paramref name="dir"/>, or its cifar-10-batches-bin child, holds any training or test batch.</summary>
    public static bool LooksLikeCifarDirectory(string dir) =>
        Directory.Exists(dir) && (HasBatches(dir) || HasBatches(Path.Combine(dir, BatchDirectoryName)));

    /// <summary>True when the training batches (train) or test_batch.bin (test) are present.</summary>
    public static bool HasSplit(string dir, bool train)
    {
        var batches = ResolveBatchDirectory(dir);
        return train ? TrainBatchPaths(batches).Any(File.Exists) : File.Exists(Path.Combine(batches, TestBatchName));
    }

    private static string ResolveBatchDirectory(string dir)
    {
        if (!Directory.Exists(dir))
        {
            throw new DataFormatException($"{dir}: directory not found");
        }

        var nested = Path.Combine(dir, BatchDirectoryName);
        return !HasBatches(dir) && Directory.Exists(nested) ? nested : dir;
    }

    private static bool HasBatches(string dir) =>
        File.Exists(Path.Combine(dir, TestBatchName)) || TrainBatchPaths(dir).Any(File.Exists);

    private static IEnumerable<string> TrainBatchPaths(string dir) =>
        Enumerable.Range(1, TrainBatches).Select(i => Path.Combine(dir, $"data_batch_{i}.bin"));

    private static int CountRecords(string path)
    {
        using var file = DataFile.Open(path);
        if (file.IsGzip)
        {
            throw new DataFormatException($"{path}: is gzip-compressed; decompress it (the CIFAR-10 reader needs the raw .bin)");
        }

        var length = file.LengthOnDisk;
        if (length == 0)
        {
            throw new DataFormatException($"{path}: empty file, expected {RecordBytes}-byte CIFAR-10 records");
        }

        var partial = length % RecordBytes;
        if (partial != 0)
        {
            throw new DataFormatException(
                $"{path}: truncated: {length} bytes is {length / RecordBytes} whole {RecordBytes}-byte records "
                + $"plus {partial} bytes ({RecordBytes - partial} bytes missing from the last record)");
        }

        return length / RecordBytes <= int.MaxValue
            ? (int)(length / RecordBytes)
            : throw new DataFormatException($"{path}: {length} bytes is too large for a CIFAR-10 batch");
    }

    private static void ReadRecords(string path, int records, float[] features, float[] targets, int firstSample)
    {
        using var file = DataFile.Open(path);
        var buffer = new byte[RecordBytes * Math.Min(records, RecordsPerChunk)];
        for (var start = 0; start < records; start += RecordsPerChunk)
        {
            var n = Math.Min(RecordsPerChunk, records - start);
            if (file.Read(buffer.AsSpan(0, n * RecordBytes)) < n * RecordBytes)
            {
                throw new DataFormatException($"{path}: truncated while reading (the file shrank to {file.Position} bytes)");
            }

            for (var r = 0; r < n; r++)
            {
                var record = buffer.AsSpan(r * RecordBytes, RecordBytes);
                var sample = firstSample + start + r;
                if (record[0] >= Classes)
                {
                    throw new DataFormatException(
                        $"{path}: record {start + r} has label {record[0]}, outside 0..{Classes - 1}");
                }

                targets[sample] = record[0];
                Pixels.ToUnit(record[1..], features.AsSpan(sample * ImageBytes, ImageBytes));
            }
        }
    }
}
