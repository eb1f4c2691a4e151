using Distributed.Core.Data;

namespace Distributed.Core.Tests.Data;

public sealed class CsvReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void RoundTripsRegressionDataExactly()
    {
        var original = SyntheticData.Create([3], classes: 0, count: 20, seed: 9);
        var path = _dir.File("reg.csv");

        CsvReader.Write(path, original);
        var data = CsvReader.Read(path, classes: null);

        Assert.Equal("reg", data.Name);
        Assert.Equal([3], data.SampleShape);
        Assert.Equal(0, data.Classes);
        Assert.Equal(1, data.TargetLength);
        Assert.Equal(original.Features, data.Features);
        Assert.Equal(original.Targets, data.Targets);
        Assert.StartsWith("f0,f1,f2,target\n", File.ReadAllText(path));
    }

    [Fact]
    public void RoundTripsClassificationData()
    {
        var original = SyntheticData.Create([2], classes: 4, count: 15, seed: 3);
        var path = _dir.File("cls.csv");

        CsvReader.Write(path, original);
        var data = CsvReader.Read(path, classes: 4);

        Assert.Equal(4, data.Classes);
        Assert.Equal(original.Features, data.Features);
        Assert.Equal(original.Targets, data.Targets);
    }

    [Fact]
    public void ParsesWithoutHeaderSkippingBlankLinesAndTrimmingCells()
    {
        var path = Write("\n1.5, -2e-1 ,3\r\n   \n 4,5,6 \n\n");

        var data = CsvReader.Read(path, classes: null);

        Assert.Equal([2], data.SampleShape);
        Assert.Equal([1.5f, -0.2f, 4f, 5f], data.Features);
        Assert.Equal([3f, 6f], data.Targets);
    }

    [Fact]
    public void HeaderOnLineOneIsSkipped()
    {
        var path = Write("x, y ,label\n0.5,1,2\n");

        var data = CsvReader.Read(path, classes: 3);

        Assert.Equal(1, data.Count);
        Assert.Equal([0.5f, 1f], data.Features);
    }

    [Fact]
    public void NonNumericCellNamesFileLineAndColumn()
    {
        var path = Write("a,b,c\n1,2,3\n\n4,xyz,6\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Equal($"{path} line 4, column 2: 'xyz' is not a number", message);
    }

    [Fact]
    public void LineOneWithSomeNumbersIsDataNotAHeader()
    {
        var path = Write("1,two,3\n4,5,6\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Contains("line 1, column 2: 'two'", message);
    }

    [Fact]
    public void NonFiniteNumbersAreRejected()
    {
        var path = Write("1,NaN,3\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Contains("line 1, column 2: 'NaN' is not a finite number", message);
    }

    [Fact]
    public void DifferentCellCountNamesTheLine()
    {
        var path = Write("1,2,3\n4,5,6\n7,8\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Contains("line 3", message);
    }

    [Fact]
    public void HeaderWithDifferentCellCountFails()
    {
        var path = Write("x;y;target\n1,2,3\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Contains("line 1", message);
    }

    [Fact]
    public void SingleColumnFails()
    {
        var path = Write("1\n2\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Contains("line 1", message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \n")]
    [InlineData("f0,target\n\n")]
    public void NoDataRowsFails(string text)
    {
        var path = Write(text);

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
        Assert.Contains("no data rows", message);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("10")]
    public void ClassTargetOutsideRangeNamesTheLine(string target)
    {
        var path = Write($"f0,target\n0.1,0\n0.2,{target}\n");

        var message = TestBytes.Fails(() => CsvReader.Read(path, classes: 3), path);
        Assert.Contains("line 3", message);
        Assert.Contains(target, message);
    }

    [Fact]
    public void RegressionAcceptsAnyFiniteTarget()
    {
        var path = Write("0.1,-7.25\n");

        Assert.Equal([-7.25f], CsvReader.Read(path, classes: null).Targets);
    }

    [Fact]
    public void MissingFileFails()
    {
        var path = _dir.File("absent.csv");

        TestBytes.Fails(() => CsvReader.Read(path, classes: null), path);
    }

    [Fact]
    public void NonPositiveClassCountIsAnArgumentError() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => CsvReader.Read(Write("1,0\n"), classes: 0));

    private string Write(string text)
    {
        var path = _dir.File($"{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }
}
