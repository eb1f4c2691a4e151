using System.Text.Json;

namespace Distributed.Coordinator.Tests.Cli;

public class TrainCommandTests
{
    [Fact]
    public void LinregWritesSummaryAndMetrics()
    {
        using var dir = new TempDirectory();
        var json = dir.File("summary.json");
        var outDir = dir.File("metrics");

        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "linreg", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "1500", "--batch-size", "4",
            "--out", outDir, "--json", json);

        Assert.True(code == 0, err);
        Assert.Contains("model linreg: 2 parameters", stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var root = summary.RootElement;
        Assert.Equal(2, root.GetProperty("parameters").GetInt64());
        Assert.True(root.GetProperty("final_loss").GetDouble() < 1e-6);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("test_accuracy").ValueKind);
        Assert.True(root.GetProperty("samples_per_second").GetDouble() > 0);
        var theta = root.GetProperty("parameter_values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(2.0, theta[0], 3);
        Assert.Equal(0.0, theta[1], 3);
        Assert.Equal(1501, File.ReadAllLines(Path.Combine(outDir, "steps.csv")).Length);
        Assert.Equal(1501, File.ReadAllLines(Path.Combine(outDir, "epochs.csv")).Length);
    }

    [Fact]
    public void MlpOnSyntheticDataReportsAccuracyAndJsonlMetrics()
    {
        using var dir = new TempDirectory();
        var json = dir.File("summary.json");

        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "256", "--epochs", "2", "--batch-size", "64",
            "--optimizer", "adamw", "--lr-schedule", "cosine", "--warmup-steps", "2", "--dropout", "0.1",
            "--out", dir.Path, "--metrics-format", "jsonl", "--json", json);

        Assert.True(code == 0, err);
        Assert.Contains("model mlp: 269,322 parameters", stdout);
        Assert.Contains("epoch 2/2", stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        Assert.InRange(summary.RootElement.GetProperty("test_accuracy").GetDouble(), 0, 1);
        var steps = File.ReadAllLines(Path.Combine(dir.Path, "steps.jsonl"));
        Assert.Equal(8, steps.Length);
        using var first = JsonDocument.Parse(steps[0]);
        Assert.True(first.RootElement.GetProperty("loss").GetDouble() > 0);
    }

    [Fact]
    public void DivergingRunStopsWithExitOneAndSaysWhy()
    {
        var (code, _, err) = CliRunner.Run("train", "--model", "linreg", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "50", "--batch-size", "4");

        Assert.Equal(1, code);
        Assert.Matches(@"^error: the gradient became non-finite \(Σg² = (NaN|Infinity)\) at step \d+; the parameters are kept from the step before", err);
    }

    [Theory]
    [InlineData("--max-skips", "3", "--max-skips needs --on-nonfinite skip")]
    [InlineData("--checkpoint-every", "5", "--checkpoint-every and --keep-checkpoints need --checkpoint-dir")]
    [InlineData("--max-restarts", "1", "--max-restarts restarts the worker processes of a distributed job; add --workers N")]
    [InlineData("--on-nonfinite", "ignore", "unknown --on-nonfinite 'ignore' (expected stop or skip)")]
    public void AFlagThatWouldDoNothingOrIsMalformedIsOneLineAndExitTwo(string flag, string value, string message)
    {
        var (code, _, err) = CliRunner.Run("train", "--model", "linreg", flag, value);

        Assert.Equal(2, code);
        Assert.Equal($"error: {message}", err.Trim());
    }

    [Fact]
    public void HelpListsTheHyperparameters()
    {
        var (code, stdout, _) = CliRunner.Run("train", "--help");

        Assert.Equal(0, code);
        foreach (var flag in new[] { "--model", "--data", "--optimizer", "--lr", "--momentum", "--nesterov", "--beta1", "--amsgrad", "--centered", "--weight-decay", "--l1", "--clip-norm", "--lr-schedule", "--warmup-steps", "--dropout", "--epochs", "--batch-size", "--seed", "--out", "--json", "--checkpoint-dir", "--resume", "--on-nonfinite", "--max-restarts" })
        {
            Assert.Contains(flag, stdout);
        }
    }
}
