namespace Distributed.Coordinator.Tests.Cli;

/// <summary>`train --model` with a network described inline or in a file.</summary>
public class DescribedModelTests
{
    [Fact]
    public void ADescribedNetworkTrainsAndPrintsItsArchitecture()
    {
        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "conv(4,3) leakyrelu avgpool(2) flatten linear(16) gelu dropout(0.1) linear(10)",
            "--data", "synthetic", "--synthetic-samples", "128", "--epochs", "1", "--batch-size", "32");

        Assert.True(code == 0, err);

        // 3x32x32 synthetic images: conv 4·3·9+4 = 112, linear 900·16+16 = 14,416, linear 16·10+10 = 170.
        Assert.Contains("model conv(4,3) leakyrelu avgpool(2) flatten linear(16) gelu dropout(0.1) linear(10): 14,698 parameters", stdout);
        Assert.Contains("AvgPool2d(2x2, stride 2) -> 4x15x15", stdout);
        Assert.Contains("GELU(tanh)", stdout);
        Assert.Contains("epoch 1/1", stdout);
    }

    [Fact]
    public void AFileDescriptionTrainsARegressionWithMse()
    {
        using var dir = new TempDirectory();
        var net = dir.File("net.txt");
        File.WriteAllText(net, "# a small regression network\nflatten\nlinear(8) tanh\nlinear(1)\n");

        var (code, stdout, err) = CliRunner.Run("train", "--model", "@" + net, "--loss", "mse", "--data", "builtin", "--epochs", "3", "--batch-size", "4");

        Assert.True(code == 0, err);
        Assert.Contains("model flatten linear(8) tanh linear(1): 25 parameters", stdout);
    }

    [Fact]
    public void AModelFileAndAResponseFileWorkSideBySide()
    {
        using var dir = new TempDirectory();
        var net = dir.File("net.txt");
        File.WriteAllText(net, "flatten linear(1)\n");
        var flags = dir.File("flags.rsp");
        File.WriteAllText(flags, "--data builtin\n--loss mse\n--epochs 2\n");

        var (code, stdout, err) = CliRunner.Run("train", "@" + flags, "--model", "@" + net);

        Assert.True(code == 0, err);
        Assert.Contains("model flatten linear(1): 2 parameters", stdout);
        Assert.Contains("epoch 2/2", stdout);
    }

    [Theory]
    [InlineData("--model, column 20: unknown layer 'relux'", "--model", "flatten linear(32) relux linear(10)")]
    [InlineData("--model, column 20: conv(3,3) cannot take samples of 32", "--model", "flatten linear(32) conv(3,3) linear(10)")]
    [InlineData("--model, column 20: the network ends in 32 values per sample, but the data has 10 classes: end it with linear(10)", "--model", "flatten linear(64) linear(32)")]
    [InlineData("--loss mse does not apply to cnn", "--model", "cnn", "--loss", "mse")]
    [InlineData("unknown loss 'hinge'", "--model", "flatten linear(10)", "--loss", "hinge")]
    [InlineData("a described network places its own dropout(p) layers", "--model", "flatten linear(10)", "--dropout", "0.5")]
    public void ABadDescriptionIsOneLineNamingItsPositionAndExitsTwo(string expected, params string[] flags)
    {
        var (code, _, err) = CliRunner.Run(["train", "--data", "synthetic", "--synthetic-samples", "64", "--epochs", "1", .. flags]);

        Assert.Equal(2, code);
        var line = Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(expected, line);
    }

    [Fact]
    public void TrainExportsTheTrainedNetworkAsOnnx()
    {
        using var dir = new TempDirectory();
        var onnx = dir.File("net.onnx");
        var save = dir.File("net.params");

        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "conv(2,3) relu maxpool(2) flatten dropout(0.2) linear(10)", "--data", "synthetic", "--synthetic-samples", "64",
            "--epochs", "1", "--batch-size", "32", "--save", save, "--export-onnx", onnx);

        Assert.True(code == 0, err);
        Assert.Contains($"onnx: {onnx} (opset 21", stdout);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        Assert.Equal(["Conv", "Relu", "MaxPool", "Flatten", "Gemm"], proto.Graph.Node.Select(n => n.OpType));

        // The initializers are the saved parameters, in order.
        var exported = proto.Graph.Initializer.SelectMany(t => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray());
        Assert.Equal(Core.Checkpoints.ParameterFile.Read(save), exported);
    }

    [Fact]
    public void AnExportIntoAMissingFolderIsRefusedBeforeTraining()
    {
        var (code, stdout, err) = CliRunner.Run("train", "--model", "linreg", "--export-onnx", "/nonexistent/folder/net.onnx");

        Assert.Equal(2, code);
        Assert.Contains("the folder /nonexistent/folder does not exist", err);
        Assert.DoesNotContain("epoch", stdout);
    }
}
