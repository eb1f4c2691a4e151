using Distributed.Coordinator.Cli;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Tests.Sweeps;

public class ParameterSpecTests
{
    [Fact]
    public void ParsesEachKindOfSpec()
    {
        var list = ParameterSpec.Parse("optimizer=[sgd, adam,adamw]");
        Assert.Equal(("optimizer", SpecKind.List), (list.Name, list.Kind));
        Assert.Equal(["sgd", "adam", "adamw"], list.Values);

        Assert.Equal(["1", "2", "3"], ParameterSpec.Parse("epochs=1..3").Values);

        var uniform = ParameterSpec.Parse("dropout=uniform(0,0.5)");
        Assert.Equal((SpecKind.Uniform, 0, 0.5), (uniform.Kind, uniform.Low, uniform.High));

        var log = ParameterSpec.Parse("lr=log(1e-4,1e-1)");
        Assert.Equal((SpecKind.Log, 1e-4, 1e-1), (log.Kind, log.Low, log.High));
    }

    [Theory]
    [InlineData("lr")]
    [InlineData("=[1,2]")]
    [InlineData("--lr=[1,2]")]
    [InlineData("lr=[1,,2]")]
    [InlineData("lr=[1,1]")]
    [InlineData("epochs=3..1")]
    [InlineData("epochs=1.5..3")]
    [InlineData("lr=log(0,1)")]
    [InlineData("lr=log(1e-3)")]
    [InlineData("lr=uniform(0.5,0.1)")]
    [InlineData("lr=uniform(a,b)")]
    [InlineData("lr=normal(0,1)")]
    public void MalformedSpecIsOneUsageLine(string text)
    {
        var ex = Assert.Throws<UsageException>(() => ParameterSpec.Parse(text));
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Contains(text, ex.Message);
    }

    [Fact]
    public void SampledFloatsKeepFourDigitsAndStayInBounds()
    {
        var log = ParameterSpec.Parse("lr=log(1e-4,0.123456)");
        Assert.Equal("0.0001", log.At(0));
        var top = double.Parse(log.At(0.9999999), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(top, 1e-4, 0.123456);
        var mid = double.Parse(log.At(0.5), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(mid.ToString("G4", System.Globalization.CultureInfo.InvariantCulture), log.At(0.5));
    }
}
