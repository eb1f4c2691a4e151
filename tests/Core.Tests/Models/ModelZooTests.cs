using Distributed.Core.Compute.Cpu;
using Distributed.Core.Models;

namespace Distributed.Core.Tests.Models;

public class ModelZooTests
{
    [Theory]
    [InlineData("linreg", new[] { 1 }, 1, 2)]
    [InlineData("mlp", new[] { 1, 28, 28 }, 10, 269_322)]
    [InlineData("mlp", new[] { 784 }, 10, 269_322)]
    [InlineData("cnn", new[] { 3, 32, 32 }, 10, 545_098)]
    [InlineData("cnn", new[] { 1, 28, 28 }, 10, 421_642)]
    public void ParameterCountsMatchTheSpecification(string name, int[] inputShape, int outputs, int expected)
    {
        var model = ModelZoo.Create(name, inputShape, outputs, new CpuBackend(1), new ModelOptions(1));

        Assert.Equal(expected, model.Parameters.Count);
        Assert.Equal([outputs], model.OutputShape);
    }

    [Fact]
    public void UnknownModelNamesTheChoices()
    {
        var ex = Assert.Throws<ArgumentException>(() => ModelZoo.Create("resnet", [784], 10, new CpuBackend(1), new ModelOptions(1)));

        Assert.Contains("linreg, logreg, mlp, cnn", ex.Message);
    }

    [Fact]
    public void CnnRejectsFlatSamples()
    {
        Assert.Throws<ArgumentException>(() => ModelZoo.Create("cnn", [784], 10, new CpuBackend(1), new ModelOptions(1)));
    }

    [Fact]
    public void SameSeedSameWeightsOtherSeedOtherWeights()
    {
        float[] Weights(ulong seed) => ModelZoo.Create("mlp", [784], 10, new CpuBackend(1), new ModelOptions(seed)).Parameters.Values.ToArray();

        Assert.Equal(Weights(7), Weights(7));
        Assert.NotEqual(Weights(7), Weights(8));
    }

    [Fact]
    public void DropoutIsInsertedAfterHiddenActivationsOnly()
    {
        var model = ModelZoo.Create("mlp", [784], 10, new CpuBackend(1), new ModelOptions(1, Dropout: 0.5f));

        Assert.Equal(2, model.Network.Layers.Count(l => l is Core.Layers.Dropout));
        Assert.IsType<Core.Layers.Linear>(model.Network.Layers[^1]);
        Assert.Equal(269_322, model.Parameters.Count);
    }
}
