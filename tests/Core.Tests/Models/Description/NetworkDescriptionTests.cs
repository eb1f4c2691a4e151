using Distributed.Core.Compute.Cpu;
using Distributed.Core.Layers;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Core.Models.Description;

namespace Distributed.Core.Tests.Models.Description;

public sealed class NetworkDescriptionTests
{
    private const string Example = "conv(32,3,pad=1) relu maxpool(2) conv(64,3) relu maxpool(2) flatten linear(128) relu dropout(0.2) linear(10)";

    [Fact]
    public void TheIssuesExampleReadsIntoItsLayers()
    {
        var d = NetworkDescription.Parse(Example);

        Assert.Equal(["conv", "relu", "maxpool", "conv", "relu", "maxpool", "flatten", "linear", "relu", "dropout", "linear"], d.Layers.Select(l => l.Kind.Name));
        Assert.Equal(Example, d.Text);
    }

    [Theory]
    [InlineData("Conv2d(32, 3, stride=1, padding=1)  ReLU", "conv(32,3,pad=1) relu")]
    [InlineData("conv(out=8, kernel=5, stride=2) maxpool(2, stride=2) avgpool(3,1)", "conv(8,5,stride=2) maxpool(2) avgpool(3,stride=1)")]
    [InlineData("dense(64) leaky gelu tanh sigmoid leakyrelu(0.2)", "linear(64) leakyrelu gelu tanh sigmoid leakyrelu(slope=0.2)")]
    [InlineData("flatten\n  # a comment\n  linear(10)  # the logits\n", "flatten linear(10)")]
    [InlineData("leakyrelu(0.01) leakyrelu(slope=0.01) leakyrelu", "leakyrelu leakyrelu leakyrelu")]
    public void AliasesCaseAndDefaultsHaveOneCanonicalText(string text, string canonical) =>
        Assert.Equal(canonical, NetworkDescription.Parse(text).Text);

    [Theory]
    [InlineData("flatten linar(10)", "--model, column 9: unknown layer 'linar'")]
    [InlineData("flatten linear", "--model, column 9: linear needs 'out': write linear(out)")]
    [InlineData("conv(32,3,strid=2)", "--model, column 11: conv has no argument 'strid'")]
    [InlineData("conv(32,3.5)", "--model, column 9: conv: 'kernel' must be a whole number")]
    [InlineData("dropout(1.5)", "--model, column 9: dropout: 'p' must be a probability in [0, 1)")]
    [InlineData("linear(10", "--model, column 7: '(' of linear is never closed")]
    [InlineData("linear(10 20)", "--model, column 11: expected ',' or ')'")]
    [InlineData("linear(10)relu", "--model, column 11: expected a space before the next layer")]
    [InlineData("relu(3)", "--model, column 6: relu takes no arguments")]
    [InlineData("linear(1,2)", "--model, column 10: linear takes at most 1 argument")]
    [InlineData("linear(10, out=3)", "--model, column 12: linear's 'out' is given twice")]
    [InlineData("linear(x)", "--model, column 8: expected a number or name=number")]
    [InlineData("flatten $", "--model, column 9: expected a layer name, found '$'")]
    [InlineData("   ", "--model: the network description is empty")]
    public void AMistakeIsOneLineNamingItsColumn(string text, string expected)
    {
        var ex = Assert.Throws<DescriptionException>(() => NetworkDescription.Parse(text));

        Assert.StartsWith(expected, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void AMistakeInAFileNamesItsLineAndColumn()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "net.txt");
        File.WriteAllText(path, "flatten\nlinear(128) relu\n  linear(10,)\n");

        var ex = Assert.Throws<DescriptionException>(() => NetworkDescription.Read(path));

        Assert.StartsWith("net.txt line 3, column 13: linear takes at most 1 argument", ex.Message);
    }

    [Theory]
    [InlineData("linear(10)", "--model, column 1: linear(10) cannot take samples of 1x28x28: Linear needs flat samples")]
    [InlineData("flatten linear(64) conv(8,3) flatten linear(10)", "--model, column 20: conv(8,3) cannot take samples of 64: Conv2d needs CxHxW samples")]
    [InlineData("conv(8,3) maxpool(2) conv(8,15) flatten linear(10)", "--model, column 22: conv(8,15) cannot take samples of 8x13x13: kernel 15x15 is larger")]
    [InlineData("flatten linear(12)", "--model, column 9: the network ends in 12 values per sample, but the data has 10 classes: end it with linear(10)")]
    [InlineData("conv(8,3)", "--model, column 1: the network ends in samples of 8x26x26; end it with flatten and linear(10)")]
    public void ALayerThatCannotTakeItsInputIsNamedAtItsPosition(string text, string expected)
    {
        var d = NetworkDescription.Parse(text);

        var ex = Assert.Throws<DescriptionException>(() => d.CreateModel([1, 28, 28], 10, LossKind.CrossEntropy, new CpuBackend(1), new ModelOptions(1)));

        Assert.StartsWith(expected, ex.Message);
    }

    [Fact]
    public void EveryKindBuildsItsLayer()
    {
        var d = NetworkDescription.Parse("conv(4,3,stride=2,pad=1) leakyrelu(0.2) avgpool(2) maxpool(2,1) gelu flatten dropout(0.1) linear(6) tanh sigmoid linear(3)");

        var model = d.CreateModel([2, 16, 16], 3, LossKind.MeanSquaredError, new CpuBackend(1), new ModelOptions(1));

        Assert.Equal([typeof(Conv2d), typeof(LeakyReLU), typeof(AvgPool2d), typeof(MaxPool2d), typeof(GELU), typeof(Flatten), typeof(Dropout), typeof(Linear), typeof(Tanh), typeof(Sigmoid), typeof(Linear)],
            model.Network.Layers.Select(l => l.GetType()));
        Assert.Equal(0.2f, ((LeakyReLU)model.Network.Layers[1]).Slope);
        Assert.Equal(1, ((MaxPool2d)model.Network.Layers[3]).Stride);
        Assert.Equal([4, 3, 3], model.Network.Layers[3].OutputShape);
        Assert.IsType<MeanSquaredError>(model.Loss);
        Assert.Equal(d.Text, model.Name);
    }
}
