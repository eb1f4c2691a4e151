using Distributed.Core.Compute.Cpu;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Core.Models.Description;
using Distributed.Core.Optimizers;
using Distributed.Core.Tests.Training;

namespace Distributed.Core.Tests.Models;

public sealed class ModelChoiceTests
{
    /// <summary>The built-in cnn, layer for layer.</summary>
    private const string Cnn = "conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) relu linear(10)";

    [Fact]
    public void ADescribedCnnHasTheBuiltInsParameterCount()
    {
        var builtIn = ModelZoo.Create("cnn", [1, 28, 28], 10, new CpuBackend(1), new ModelOptions(3));
        var described = ModelChoice.Parse(Cnn).Create([1, 28, 28], 10, LossKind.CrossEntropy, new CpuBackend(1), new ModelOptions(3));

        Assert.Equal(421_642, described.Parameters.Count);
        Assert.Equal(builtIn.Parameters.Count, described.Parameters.Count);
        Assert.Equal(builtIn.Parameters.Values.ToArray(), described.Parameters.Values.ToArray());
    }

    [Theory]
    [InlineData(0f, Cnn)]
    [InlineData(0.3f, "conv(32,3,pad=1) relu maxpool(2) conv(64,3,pad=1) relu maxpool(2) flatten linear(128) relu dropout(0.3) linear(10)")]
    public void ADescribedCnnTrainsToTheBuiltInsBits(float dropout, string description)
    {
        var train = TrainingHarness.First(TrainingHarness.Mnist(train: true), 192);
        var optimizer = new OptimizerSettings { Name = "adam", Lr = 1e-3 };

        var (builtIn, builtInResult) = TrainingHarness.Train("cnn", train, null, optimizer, epochs: 1, batchSize: 64, seed: 5, dropout: dropout);
        var (described, describedResult) = TrainingHarness.Train(description, train, null, optimizer, epochs: 1, batchSize: 64, seed: 5);

        Assert.Equal(builtIn.Parameters.Values.ToArray(), described.Parameters.Values.ToArray());
        Assert.Equal(builtInResult.FinalLoss, describedResult.FinalLoss);
    }

    [Theory]
    [InlineData("cnn", "cnn")]
    [InlineData("  flatten   Linear(10) ", "flatten linear(10)")]
    public void TheCanonicalTextIsTheSameHoweverTheModelIsGiven(string given, string canonical) =>
        Assert.Equal(canonical, ModelChoice.Parse(given).Canonical);

    [Fact]
    public void AFileDescriptionReadsAsTheSameNetwork()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "net.txt");
        File.WriteAllText(path, "# my net\nflatten\nlinear(10)\n");

        Assert.Equal("flatten linear(10)", ModelChoice.Parse("@" + path).Canonical);
    }

    [Fact]
    public void AMistypedModelNameListsTheChoices()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelChoice.Parse("resnet"));

        Assert.Contains("unknown model 'resnet'", ex.Message);
        Assert.Contains("linreg, logreg, mlp, cnn", ex.Message);
    }

    [Theory]
    [InlineData("cnn", "auto", LossKind.CrossEntropy)]
    [InlineData("linreg", "mse", LossKind.MeanSquaredError)]
    [InlineData("flatten linear(1)", "auto", LossKind.CrossEntropy)]
    [InlineData("flatten linear(1)", "mse", LossKind.MeanSquaredError)]
    public void TheLossIsTheBuiltInsOrTheOneAskedFor(string model, string loss, LossKind expected) =>
        Assert.Equal(expected, ModelChoice.Parse(model).ResolveLoss(loss));

    [Fact]
    public void ABuiltInAskedForAnotherLossIsRefused()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelChoice.Parse("cnn").ResolveLoss("mse"));

        Assert.Contains("cnn, which trains with cross-entropy", ex.Message);
    }
}
