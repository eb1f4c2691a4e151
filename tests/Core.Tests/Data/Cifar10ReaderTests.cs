using Distributed.Core.Data;

namespace Distributed.Core.Tests.Data;

public sealed class Cifar10ReaderTests : IDisposable
{
    private const int ImageBytes = 3 * 32 * 32;

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RoundTripsAndConcatenatesFilesInOrder()
    {
        var (labelsA, pixelsA) = WriteBatch(_dir.File("a.bin"), records: 3, seed: 1);
        var (labelsB, pixelsB) = WriteBatch(_dir.File("b.bin"), records: 2, seed: 2);

        var data = Cifar10Reader.ReadFiles([_dir.File("a.bin"), _dir.File("b.bin")], "pair");

        Assert.Equal("pair", data.Name);
        Assert.Equal([3, 32, 32], data.SampleShape);
        Assert.Equal(5, data.Count);
        Assert.Equal(1, data.TargetLength);
        Assert.Equal(10, data.Classes);
        Assert.Equal(labelsA.Concat(labelsB).Select(b => (float)b), data.Targets);
        Assert.Equal(pixelsA.Concat(pixelsB).Select(b => b / 255f), data.Features);
    }

    [Fact]
    public void KeepsTheRedGreenBluePlanesOfARecord()
    {
        var pixels = new byte[ImageBytes];
        pixels.AsSpan(0, 1024).Fill(255);                // red plane
        pixels[1024 + (2 * 32) + 5] = 51;               // green, row 2, column 5
        Cifar10Writer.Write(_dir.File("one.bin"), [7], pixels);

        var data = Cifar10Reader.ReadFiles([_dir.File("one.bin")], "one");

        Assert.Equal(7f, data.Targets[0]);
        Assert.Equal(1f, data.Features[0]);
        Assert.Equal(1f, data.Features[1023]);
        Assert.Equal(0.2f, data.Features[1024 + (2 * 32) + 5]);
        Assert.Equal(0f, data.Features[2048]);
    }

    [Fact]
    public void ReadDirectoryTakesTheTrainBatchesThatExistAndTheTestBatch()
    {
        var (labels1, _) = WriteBatch(_dir.File("data_batch_1.bin"), records: 2, seed: 1);
        var (labels3, _) = WriteBatch(_dir.File("data_batch_3.bin"), records: 1, seed: 3);
        var (testLabels, _) = WriteBatch(_dir.File("test_batch.bin"), records: 4, seed: 4);

        var train = Cifar10Reader.ReadDirectory(_dir.Path, train: true);
        var test = Cifar10Reader.ReadDirectory(_dir.Path, train: false);

        Assert.Equal(labels1.Concat(labels3).Select(b => (float)b), train.Targets);
        Assert.Equal(testLabels.Select(b => (float)b), test.Targets);
        Assert.True(Cifar10Reader.LooksLikeCifarDirectory(_dir.Path));
    }

    [Fact]
    public void ReadDirectoryAcceptsTheParentOfTheExtractedFolder()
    {
        var batches = _dir.Subdirectory("cifar-10-batches-bin");
        var (labels, _) = WriteBatch(Path.Combine(batches, "data_batch_2.bin"), records: 2, seed: 5);

        var train = Cifar10Reader.ReadDirectory(_dir.Path, train: true);

        Assert.Equal(labels.Select(b => (float)b), train.Targets);
        Assert.True(Cifar10Reader.LooksLikeCifarDirectory(_dir.Path));
        Assert.True(Cifar10Reader.LooksLikeCifarDirectory(batches));
    }

    [Fact]
    public void NoTrainBatchesFailsNamingTheDirectory()
    {
        WriteBatch(_dir.File("test_batch.bin"), records: 1, seed: 1);

        var message = TestBytes.Fails(() => Cifar10Reader.ReadDirectory(_dir.Path, train: true), _dir.Path);
        Assert.Contains("data_batch_1.bin", message);
    }

    [Fact]
    public void NoTestBatchFailsNamingTheFile()
    {
        WriteBatch(_dir.File("data_batch_1.bin"), records: 1, seed: 1);

        TestBytes.Fails(() => Cifar10Reader.ReadDirectory(_dir.Path, train: false), _dir.File("test_batch.bin"));
    }

    [Fact]
    public void LooksLikeCifarDirectoryIsFalseForUnrelatedOrMissingDirectories()
    {
        File.WriteAllText(_dir.File("data_batch_1.txt"), "hello");

        Assert.False(Cifar10Reader.LooksLikeCifarDirectory(_dir.Path));
        Assert.False(Cifar10Reader.LooksLikeCifarDirectory(_dir.File("absent")));
        TestBytes.Fails(() => Cifar10Reader.ReadDirectory(_dir.File("absent"), train: true), _dir.File("absent"));
    }

    [Fact]
    public void TruncatedFileSaysByHowManyBytes()
    {
        WriteBatch(_dir.File("a.bin"), records: 3, seed: 1);
        WriteBatch(_dir.File("b.bin"), records: 2, seed: 2);
        TestBytes.Truncate(_dir.File("b.bin"), 100);

        var message = TestBytes.Fails(() => Cifar10Reader.ReadFiles([_dir.File("a.bin"), _dir.File("b.bin")], "x"), _dir.File("b.bin"));
        Assert.Contains("truncated", message);
        Assert.Contains("100 bytes missing", message);
    }

    [Fact]
    public void LabelAboveNineFailsNamingTheRecord()
    {
        WriteBatch(_dir.File("a.bin"), records: 3, seed: 1);
        TestBytes.Patch(_dir.File("a.bin"), 2 * (1 + ImageBytes), 10);

        var message = TestBytes.Fails(() => Cifar10Reader.ReadFiles([_dir.File("a.bin")], "x"), _dir.File("a.bin"));
        Assert.Contains("record 2 has label 10", message);
    }

    [Fact]
    public void MissingOrEmptyFilesFail()
    {
        File.WriteAllBytes(_dir.File("empty.bin"), []);

        TestBytes.Fails(() => Cifar10Reader.ReadFiles([_dir.File("absent.bin")], "x"), _dir.File("absent.bin"));
        TestBytes.Fails(() => Cifar10Reader.ReadFiles([_dir.File("empty.bin")], "x"), _dir.File("empty.bin"));
        TestBytes.Fails(() => Cifar10Reader.ReadFiles([], "nothing"), "nothing");
    }

    [Fact]
    public void GzipCompressedBatchFailsWithAHint()
    {
        var path = _dir.File("data_batch_1.bin");
        WriteBatch(path, records: 1, seed: 1);
        var raw = File.ReadAllBytes(path);
        using (var gzip = new System.IO.Compression.GZipStream(File.Create(path), System.IO.Compression.CompressionLevel.Fastest))
        {
            gzip.Write(raw);
        }

        var message = TestBytes.Fails(() => Cifar10Reader.ReadDirectory(_dir.Path, train: true), path);
        Assert.Contains("gzip", message);
    }

    [Fact]
    public void WriterRejectsMismatchedPixelCount() =>
        Assert.Throws<ArgumentException>(() => Cifar10Writer.Write(_dir.File("w.bin"), [1, 2], new byte[ImageBytes]));

    private static (byte[] Labels, byte[] Pixels) WriteBatch(string path, int records, ulong seed)
    {
        var labels = TestBytes.Random(records, seed, below: 10);
        var pixels = TestBytes.Random(records * ImageBytes, seed + 100);
        Cifar10Writer.Write(path, labels, pixels);
        return (labels, pixels);
    }
}
