using System.IO.Compression;
using Distributed.Core.Data;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>Every kind of bad input ends with exit code 2 and exactly one line on stderr, before any training.</summary>
public class BadInputTests
{
    [Theory]
    [InlineData("unknown model 'resnet'", "train", "--model", "resnet")]
    [InlineData("unknown optimizer 'lamb'", "train", "--model", "linreg", "--optimizer", "lamb")]
    [InlineData("learning rate", "train", "--model", "linreg", "--lr", "-0.1")]
    [InlineData("learning rate", "train", "--model", "linreg", "--lr", "NaN")]
    [InlineData("learning rate", "train", "--model", "linreg", "--lr", "0")]
    [InlineData("beta1", "train", "--model", "linreg", "--beta1", "1")]
    [InlineData("beta2", "train", "--model", "linreg", "--beta2", "-0.5")]
    [InlineData("momentum", "train", "--model", "linreg", "--optimizer", "momentum", "--momentum", "1.5")]
    [InlineData("weight decay", "train", "--model", "linreg", "--weight-decay", "-1")]
    [InlineData("dropout", "train", "--model", "mlp", "--data", "synthetic", "--dropout", "1")]
    [InlineData("epochs", "train", "--model", "linreg", "--epochs", "0")]
    [InlineData("batch size", "train", "--model", "linreg", "--batch-size", "-4")]
    [InlineData("unknown learning-rate schedule", "train", "--model", "linreg", "--lr-schedule", "cyclic")]
    [InlineData("abc", "train", "--model", "linreg", "--epochs", "abc")]
    [InlineData("--bogus", "train", "--bogus")]
    [InlineData("no such file or directory", "train", "--model", "mlp", "--data", "/nonexistent/mnist")]
    [InlineData("unknown metrics format", "train", "--model", "linreg", "--metrics-format", "xml")]
    [InlineData("unknown device 'bogus' (expected one of: auto, cuda, cpu, ilgpu-cpu)", "train", "--device", "bogus")]
    public void FlagsAreRejectedWithOneLine(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);

        Assert.Equal(2, code);
        AssertOneLine(err, expected);
    }

    [Fact]
    public void WrongIdxMagicNamesTheFile()
    {
        using var dir = new TempDirectory();
        WriteMnist(dir, count: 4);
        var images = dir.File("train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        bytes[3] = 0x01;
        File.WriteAllBytes(images, bytes);

        var (code, _, err) = CliRunner.Run("train", "--model", "mlp", "--data", dir.Path, "--epochs", "1");

        Assert.Equal(2, code);
        AssertOneLine(err, "train-images-idx3-ubyte");
    }

    [Fact]
    public void LabelCountMismatchIsRejected()
    {
        using var dir = new TempDirectory();
        WriteMnist(dir, count: 4);
        IdxWriter.WriteLabels(dir.File("train-labels-idx1-ubyte"), new byte[3], gzip: false);

        var (code, _, err) = CliRunner.Run("train", "--model", "mlp", "--data", dir.Path, "--epochs", "1");

        Assert.Equal(2, code);
        AssertOneLine(err, "train-labels-idx1-ubyte");
    }

    [Fact]
    public void TruncatedGzipIsRejected()
    {
        using var dir = new TempDirectory();
        WriteMnist(dir, count: 64);
        var raw = File.ReadAllBytes(dir.File("train-images-idx3-ubyte"));
        File.Delete(dir.File("train-images-idx3-ubyte"));
        using (var gz = new GZipStream(File.Create(dir.File("train-images-idx3-ubyte.gz")), CompressionLevel.Fastest))
        {
            gz.Write(raw);
        }

        var full = File.ReadAllBytes(dir.File("train-images-idx3-ubyte.gz"));
        File.WriteAllBytes(dir.File("train-images-idx3-ubyte.gz"), full[..(full.Length / 2)]);

        var (code, _, err) = CliRunner.Run("train", "--model", "mlp", "--data", dir.Path, "--epochs", "1");

        Assert.Equal(2, code);
        AssertOneLine(err, "train-images-idx3-ubyte.gz");
    }

    [Fact]
    public void CsvCellThatIsNotANumberNamesTheLine()
    {
        using var dir = new TempDirectory();
        var csv = dir.File("points.csv");
        File.WriteAllText(csv, "x,y\n1,2\n2,4\n3,six\n");

        var (code, _, err) = CliRunner.Run("train", "--model", "linreg", "--data", csv, "--epochs", "1");

        Assert.Equal(2, code);
        AssertOneLine(err, "line 4");
    }

    [Fact]
    public void LinregRefusesClassLabels()
    {
        using var dir = new TempDirectory();
        WriteMnist(dir, count: 4);

        var (code, _, err) = CliRunner.Run("train", "--model", "linreg", "--data", dir.Path, "--epochs", "1");

        Assert.Equal(2, code);
        AssertOneLine(err, "regression");
    }

    private static void WriteMnist(TempDirectory dir, int count)
    {
        foreach (var kind in new[] { "train", "t10k" })
        {
            IdxWriter.WriteImages(dir.File($"{kind}-images-idx3-ubyte"), new byte[count * 28 * 28], count, 28, 28, gzip: false);
            IdxWriter.WriteLabels(dir.File($"{kind}-labels-idx1-ubyte"), new byte[count], gzip: false);
        }
    }

    internal static void AssertOneLine(string stderr, string expected)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0], StringComparison.OrdinalIgnoreCase);
    }
}
