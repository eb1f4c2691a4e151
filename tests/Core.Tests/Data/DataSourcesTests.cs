using Distributed.Core.Data;

namespace Distributed.Core.Tests.Data;

public sealed class DataSourcesTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("1e9")]
    [InlineData("3e38")]
    [InlineData("65536")]
    public void AClassifierLabelBeyondTheClassBoundNamesTheFileAndLine(string label)
    {
        var path = _dir.File("labels.csv");
        File.WriteAllText(path, $"x,label\n0.5,1\n0.25,{label}\n");

        var message = TestBytes.Fails(() => DataSources.Load(path, null, classifier: true, [1], 1, seed: 1), path);

        Assert.Contains("line 3", message);
        Assert.Contains(label, message);
        Assert.Contains($"0..{DataSources.MaxCsvClasses - 1}", message);
    }

    [Fact]
    public void AClassifierCsvHasOneClassMoreThanItsLargestLabel()
    {
        var path = _dir.File("labels.csv");
        File.WriteAllText(path, $"0.5,1\n0.25,{DataSources.MaxCsvClasses - 1}\n");

        var split = DataSources.Load(path, null, classifier: true, [1], 1, seed: 1);

        Assert.Equal(DataSources.MaxCsvClasses, split.Train.Classes);
    }
}
