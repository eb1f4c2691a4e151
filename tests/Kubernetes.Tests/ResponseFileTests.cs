using System.CommandLine;

namespace Distributed.Kubernetes.Tests;

/// <summary>train.rsp as System.CommandLine, which both roles parse it with, reads it back.</summary>
public class ResponseFileTests
{
    [Theory]
    [InlineData("plain")]
    [InlineData("/mnt/data sets/mnist")]
    [InlineData("  leading and trailing  ")]
    [InlineData("tab\there")]
    [InlineData("#not-a-comment")]
    [InlineData("3e-4")]
    [InlineData("-1")]
    public void ValueIsReadBackExactly(string value)
    {
        var text = ResponseFile.Format([new TrainFlag("--data", value), new TrainFlag("--switch"), new TrainFlag("--lr", "0.5")]);

        var (data, toggled, lr) = Parse(text);

        Assert.Equal(value, data);
        Assert.True(toggled);
        Assert.Equal("0.5", lr);
    }

    [Fact]
    public void NoFlagsIsAValidResponseFile()
    {
        var text = ResponseFile.Format([]);

        Assert.Equal(ResponseFile.Header + "\n", text);
        Assert.Equal((null, false, null), Parse(text));
    }

    [Theory]
    [InlineData("say \"hi\"")]
    [InlineData("two\nlines")]
    [InlineData("@other.rsp")]
    public void ValueTheReaderWouldChangeIsRefused(string value)
    {
        var ex = Assert.Throws<ArgumentException>(() => ResponseFile.Format([new TrainFlag("--data", value)]));

        Assert.Contains("--data", ex.Message);
    }

    [Theory]
    [InlineData("data")]
    [InlineData("--")]
    [InlineData("--two words")]
    public void NameThatIsNotAFlagIsRefused(string name)
    {
        Assert.Throws<ArgumentException>(() => ResponseFile.Format([new TrainFlag(name, "x")]));
    }

    private static (string? Data, bool Switch, string? Lr) Parse(string responseFile)
    {
        using var dir = new TempDirectory();
        var path = dir.File("train.rsp");
        File.WriteAllText(path, responseFile);
        var data = new Option<string?>("--data");
        var toggle = new Option<bool>("--switch");
        var lr = new Option<string?>("--lr");
        var root = new RootCommand { data, toggle, lr };
        var result = root.Parse([$"@{path}"]);
        Assert.Empty(result.Errors);
        return (result.GetValue(data), result.GetValue(toggle), result.GetValue(lr));
    }
}
