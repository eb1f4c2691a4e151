using Distributed.Core.Data;

namespace Distributed.Core.Tests.Data;

public sealed class MnistIdxReaderTests : IDisposable
{
    private const int Count = 7;
    private const int Rows = 5;
    private const int Cols = 4;

    private readonly TempDirectory _dir = new();
    private readonly byte[] _pixels = TestBytes.Random(Count * Rows * Cols, seed: 1);
    private readonly byte[] _labels = TestBytes.Random(Count, seed: 2, below: 10);

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoundTripsRawAndGzip(bool gzip)
    {
        var (images, labels) = WritePair("x", gzip);

        var data = MnistIdxReader.Read(images, labels, "tiny");

        Assert.Equal("tiny", data.Name);
        Assert.Equal([1, Rows, Cols], data.SampleShape);
        Assert.Equal(Count, data.Count);
        Assert.Equal(1, data.TargetLength);
        Assert.Equal(10, data.Classes);
        Assert.Equal(_pixels.Select(b => b / 255f), data.Features);
        Assert.Equal(_labels.Select(b => (float)b), data.Targets);
    }

    [Fact]
    public void DetectsGzipByMagicBytesNotByName()
    {
        var images = _dir.File("images.raw");
        var labels = _dir.File("labels.gz");
        IdxWriter.WriteImages(images, _pixels, Count, Rows, Cols, gzip: true);
        IdxWriter.WriteLabels(labels, _labels, gzip: false);

        var data = MnistIdxReader.Read(images, labels, "renamed");

        Assert.Equal(_pixels.Select(b => b / 255f), data.Features);
        Assert.Equal(_labels.Select(b => (float)b), data.Targets);
    }

    [Fact]
    public void MissingImagesFileNamesIt()
    {
        var (_, labels) = WritePair("x", gzip: false);
        var missing = _dir.File("nope-images");

        var message = TestBytes.Fails(() => MnistIdxReader.Read(missing, labels, "x"), missing);
        Assert.Contains("not found", message);
    }

    [Fact]
    public void MissingLabelsFileNamesIt()
    {
        var (images, _) = WritePair("x", gzip: false);
        var missing = _dir.File("nope-labels");

        TestBytes.Fails(() => MnistIdxReader.Read(images, missing, "x"), missing);
    }

    [Fact]
    public void SwappedFilesReportBothMagicsInHex()
    {
        var (images, labels) = WritePair("x", gzip: false);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(labels, images, "x"), labels);
        Assert.Contains("0x00000803", message);
        Assert.Contains("0x00000801", message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongLabelsMagicNamesTheFile(bool gzip)
    {
        var (images, _) = WritePair("x", gzip);
        var labels = _dir.File("bad-labels");
        File.WriteAllBytes(labels, [0x00, 0x00, 0x08, 0x02, 0, 0, 0, Count, .. _labels]);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), labels);
        Assert.Contains("0x00000802", message);
    }

    [Fact]
    public void LabelCountDifferentFromImageCountFails()
    {
        var (images, _) = WritePair("x", gzip: false);
        var labels = _dir.File("short-labels");
        IdxWriter.WriteLabels(labels, _labels[..^1], gzip: false);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), labels);
        Assert.Contains($"{Count - 1} labels", message);
        Assert.Contains($"{Count} images", message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TruncatedImagesFail(bool gzip)
    {
        var (images, labels) = WritePair("x", gzip: false);
        TestBytes.Truncate(images, 3);
        if (gzip)
        {
            Recompress(images);
        }

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
        Assert.Contains("truncated", message);
    }

    [Fact]
    public void TruncatedLabelsFail()
    {
        var (images, labels) = WritePair("x", gzip: false);
        TestBytes.Truncate(labels, 2);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), labels);
        Assert.Contains("truncated", message);
    }

    [Fact]
    public void TruncatedHeaderFails()
    {
        var (images, labels) = WritePair("x", gzip: false);
        File.WriteAllBytes(images, [0x00, 0x00, 0x08, 0x03, 0x00, 0x00]);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
        Assert.Contains("truncated", message);
        Assert.Contains("header", message);
    }

    [Fact]
    public void EmptyFileFails()
    {
        var (images, labels) = WritePair("x", gzip: false);
        File.WriteAllBytes(images, []);

        TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(50)]
    [InlineData(90)]
    public void TruncatedGzipStreamFails(int percentKept)
    {
        var (images, labels) = WritePair("x", gzip: true);
        var length = new FileInfo(images).Length;
        TestBytes.Truncate(images, (int)(length - (length * percentKept / 100)));

        TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
    }

    [Fact]
    public void CorruptGzipStreamFails()
    {
        var (images, labels) = WritePair("x", gzip: true);
        var data = File.ReadAllBytes(images);
        for (var i = 12; i < data.Length - 8; i++)
        {
            data[i] ^= 0x5A;
        }

        File.WriteAllBytes(images, data);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
        Assert.Contains("gzip", message);
    }

    [Fact]
    public void LabelAboveNineFailsNamingTheIndex()
    {
        var (images, labels) = WritePair("x", gzip: false);
        TestBytes.Patch(labels, 8 + 3, 12);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), labels);
        Assert.Contains("label 12 at index 3", message);
    }

    [Theory]
    [InlineData(0, Rows, Cols)]
    [InlineData(Count, 0, Cols)]
    [InlineData(Count, Rows, 0)]
    public void ZeroDimensionFails(int count, int rows, int cols)
    {
        var (_, labels) = WritePair("x", gzip: false);
        var images = _dir.File("zero-images");
        IdxWriter.WriteImages(images, [], count, rows, cols, gzip: false);
        if (count == 0)
        {
            IdxWriter.WriteLabels(labels, [], gzip: false);
        }

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
        Assert.Contains($"{count}x{rows}x{cols}", message);
    }

    [Fact]
    public void BytesBeyondTheHeaderCountFail()
    {
        var (images, labels) = WritePair("x", gzip: false);
        TestBytes.Append(images, Rows * Cols);

        var message = TestBytes.Fails(() => MnistIdxReader.Read(images, labels, "x"), images);
        Assert.Contains($"{Rows * Cols} bytes follow", message);
    }

    [Fact]
    public void ReadDirectoryFindsRawAndGzipFiles()
    {
        IdxWriter.WriteImages(_dir.File("train-images-idx3-ubyte.gz"), _pixels, Count, Rows, Cols, gzip: true);
        IdxWriter.WriteLabels(_dir.File("train-labels-idx1-ubyte"), _labels, gzip: false);
        IdxWriter.WriteImages(_dir.File("t10k-images-idx3-ubyte"), _pixels[..(Rows * Cols)], 1, Rows, Cols, gzip: false);
        IdxWriter.WriteLabels(_dir.File("t10k-labels-idx1-ubyte.gz"), _labels[..1], gzip: true);

        var train = MnistIdxReader.ReadDirectory(_dir.Path, train: true);
        var test = MnistIdxReader.ReadDirectory(_dir.Path, train: false);

        Assert.Equal(Count, train.Count);
        Assert.Equal(_labels.Select(b => (float)b), train.Targets);
        Assert.Equal(1, test.Count);
        Assert.Equal(_labels[0], test.Targets[0]);
        Assert.True(MnistIdxReader.LooksLikeMnistDirectory(_dir.Path));
    }

    [Fact]
    public void ReadDirectoryNamesTheMissingFile()
    {
        IdxWriter.WriteImages(_dir.File("train-images-idx3-ubyte"), _pixels, Count, Rows, Cols, gzip: false);

        var message = TestBytes.Fails(() => MnistIdxReader.ReadDirectory(_dir.Path, train: true), _dir.File("train-labels-idx1-ubyte"));
        Assert.False(MnistIdxReader.LooksLikeMnistDirectory(_dir.Path));
        Assert.Contains("not found", message);
    }

    [Fact]
    public void LooksLikeMnistDirectoryIsFalseForMissingOrUnrelatedDirectories()
    {
        File.WriteAllText(_dir.File("readme.txt"), "hello");

        Assert.False(MnistIdxReader.LooksLikeMnistDirectory(_dir.Path));
        Assert.False(MnistIdxReader.LooksLikeMnistDirectory(_dir.File("absent")));
        TestBytes.Fails(() => MnistIdxReader.ReadDirectory(_dir.File("absent"), train: true), _dir.File("absent"));
    }

    [Fact]
    public void ReadsTheBundledMnistSubset()
    {
        var dir = RepoPaths.FindUp(Path.Combine("data", "mnist-10k"));
        Assert.True(MnistIdxReader.LooksLikeMnistDirectory(dir));

        var train = MnistIdxReader.ReadDirectory(dir, train: true);
        var test = MnistIdxReader.ReadDirectory(dir, train: false);

        Assert.Equal(8000, train.Count);
        Assert.Equal(2000, test.Count);
        foreach (var data in new[] { train, test })
        {
            Assert.Equal([1, 28, 28], data.SampleShape);
            Assert.All(data.Targets, t => Assert.InRange(t, 0f, 9f));
            Assert.Equal(10, data.Targets.Distinct().Count());
            Assert.InRange(data.Features.Min(), 0f, 0f);
            Assert.InRange(data.Features.Max(), 1f, 1f);
        }
    }

    private (string Images, string Labels) WritePair(string prefix, bool gzip)
    {
        var images = _dir.File($"{prefix}-images");
        var labels = _dir.File($"{prefix}-labels");
        IdxWriter.WriteImages(images, _pixels, Count, Rows, Cols, gzip);
        IdxWriter.WriteLabels(labels, _labels, gzip);
        return (images, labels);
    }

    private static void Recompress(string path)
    {
        var raw = File.ReadAllBytes(path);
        using var file = File.Create(path);
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest);
        gzip.Write(raw);
    }
}
