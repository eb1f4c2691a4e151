using System.Text.RegularExpressions;

namespace Distributed.Coordinator.Tests.Cli;

public partial class PredictCommandTests
{
    private const string Network = "flatten linear(32) gelu linear(10)";

    [Fact]
    public void OurFilesAndTheOnnxExportPredictTheSameAndMatchTrainingsTestAccuracy()
    {
        using var dir = new TempDirectory();
        var save = dir.File("net.params");
        var onnx = dir.File("net.onnx");
        var (code, trained, err) = CliRunner.Run("train", "--model", Network, "--epochs", "1", "--save", save, "--export-onnx", onnx);
        Assert.True(code == 0, err);

        var (ourCode, ours, ourErr) = CliRunner.Run("predict", "--model", Network, "--params", save, "--out", dir.File("ours.csv"));
        var (onnxCode, fromOnnx, onnxErr) = CliRunner.Run("predict", "--onnx", onnx, "--out", dir.File("onnx.csv"));

        Assert.True(ourCode == 0, ourErr);
        Assert.True(onnxCode == 0, onnxErr);
        var testAccuracy = TestAccuracy().Match(trained).Groups[1].Value;
        Assert.Contains($"accuracy {testAccuracy}%", ours);
        Assert.Contains($"accuracy {testAccuracy}%", fromOnnx);
        var rows = File.ReadAllLines(dir.File("ours.csv"));
        Assert.Equal("sample,predicted,label", rows[0]);
        Assert.Equal(rows, File.ReadAllLines(dir.File("onnx.csv")));
        Assert.Contains($"predictions: {dir.File("ours.csv")} ({rows.Length - 1:N0} rows)", ours);
    }

    [Fact]
    public void ARegressionWritesItsValuesAndTargets()
    {
        using var dir = new TempDirectory();
        var save = dir.File("linreg.params");
        Assert.Equal(0, CliRunner.Run("train", "--model", "linreg", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "300", "--batch-size", "4", "--save", save).Code);

        var (code, stdout, err) = CliRunner.Run("predict", "--model", "linreg", "--params", save, "--out", dir.File("p.csv"));

        Assert.True(code == 0, err);
        Assert.Contains("loss ", stdout);
        var rows = File.ReadAllLines(dir.File("p.csv"));
        Assert.Equal("sample,predicted_0,target_0", rows[0]);
        Assert.Equal(5, rows.Length);
    }

    [Theory]
    [InlineData("predict needs --model and --params", "predict", "--model", "mlp")]
    [InlineData("--onnx brings its own network", "predict", "--onnx", "x.onnx", "--model", "mlp")]
    [InlineData("--model, column 9: unknown layer 'linea'", "predict", "--model", "flatten linea(10)", "--params", "x")]
    public void MisuseIsOneLineAndExitsTwo(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);

        Assert.Equal(2, code);
        Assert.Contains(expected, Assert.Single(err.Trim().Split('\n')));
    }

    [Fact]
    public void AParameterFileOfAnotherNetworkIsRefused()
    {
        using var dir = new TempDirectory();
        var save = dir.File("net.params");
        Assert.Equal(0, CliRunner.Run("train", "--model", "linreg", "--epochs", "1", "--save", save).Code);

        var (code, _, err) = CliRunner.Run("predict", "--model", "flatten linear(3) linear(1)", "--loss", "mse", "--data", "builtin", "--params", save);

        Assert.Equal(2, code);
        Assert.Contains("the parameter file holds 2 values, but flatten linear(3) linear(1) has 10 parameters", err);
    }

    [GeneratedRegex(@"test acc (\d+\.\d+)%")]
    private static partial Regex TestAccuracy();
}
