using System.Text.Json;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>`train --optimizer lbfgs|cg|newton`: per-iteration reporting, and the flags a full-batch method refuses.</summary>
public class FullBatchTrainTests
{
    [Theory]
    [InlineData("--batch-size is not used by lbfgs", "--optimizer", "lbfgs", "--batch-size", "64")]
    [InlineData("lr is not used by cg", "--optimizer", "cg", "--lr", "0.1")]
    [InlineData("--lr-schedule (and", "--optimizer", "lbfgs", "--lr-schedule", "cosine")]
    [InlineData("--lr-schedule (and", "--optimizer", "lbfgs", "--warmup-steps", "5")]
    [InlineData("--dropout is not used by cg", "--optimizer", "cg", "--dropout", "0.1")]
    [InlineData("--zero is not used by newton", "--optimizer", "newton", "--zero", "1")]
    [InlineData("--zero is not used by lbfgs", "--optimizer", "lbfgs", "--zero", "2")]
    [InlineData("--bucket-mb is not used by lbfgs", "--optimizer", "lbfgs", "--bucket-mb", "1")]
    [InlineData("clip-norm is not used by lbfgs", "--optimizer", "lbfgs", "--clip-norm", "1")]
    [InlineData("momentum is not used by cg", "--optimizer", "cg", "--momentum", "0.5")]
    [InlineData("history is not used by adam", "--optimizer", "adam", "--history", "5")]
    [InlineData("history is not used by cg", "--optimizer", "cg", "--history", "5")]
    [InlineData("history size must be at least 1", "--optimizer", "lbfgs", "--history", "0")]
    public void MiniBatchFlagsAreRefusedInOneLine(string expected, params string[] flags)
    {
        var (code, _, err) = CliRunner.Run(["train", "--model", "logreg", "--data", "synthetic", "--synthetic-samples", "64", .. flags]);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void NewtonNeedsAModelLinearInItsParameters()
    {
        var (code, _, err) = CliRunner.Run("train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "64", "--optimizer", "newton");

        Assert.Equal(2, code);
        Assert.Contains("newton needs Hessian-vector products", err);
    }

    [Fact]
    public void NewtonSolvesLinregInOneIterationAndReportsIt()
    {
        using var dir = new TempDirectory();
        var json = dir.File("summary.json");

        var (code, stdout, err) = CliRunner.Run("train", "--model", "linreg", "--optimizer", "newton", "--epochs", "2", "--out", dir.Path, "--json", json);

        Assert.True(code == 0, err);
        Assert.Contains("batch 4, 2 epochs", stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var root = summary.RootElement;
        var theta = root.GetProperty("parameter_values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(2.0, theta[0], 4);
        Assert.Equal(0.0, theta[1], 4);
        var iterations = root.GetProperty("iterations").EnumerateArray().ToArray();
        Assert.Equal(2, iterations.Length);
        Assert.Equal(2, iterations[0].GetProperty("evaluations").GetInt32());
        Assert.Equal(2, iterations[0].GetProperty("hessian_products").GetInt32());
        Assert.True(iterations[0].GetProperty("gradient_norm").GetDouble() > 1);
        Assert.True(iterations[1].GetProperty("loss").GetDouble() < 1e-8);

        var steps = File.ReadAllLines(Path.Combine(dir.Path, "steps.csv"));
        Assert.Equal("epoch,step,loss,lr,batch_size,seconds,gradient_norm,evaluations,hessian_products", steps[0]);
        Assert.Equal(3, steps.Length);
    }

    [Fact]
    public void LbfgsOnLogregWritesJsonlStepsWithItsWork()
    {
        using var dir = new TempDirectory();

        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "logreg", "--data", "synthetic", "--synthetic-samples", "200", "--optimizer", "lbfgs", "--history", "3",
            "--weight-decay", "1e-3", "--epochs", "4", "--out", dir.Path, "--metrics-format", "jsonl");

        Assert.True(code == 0, err);
        Assert.Contains("lbfgs full batch, strong Wolfe line search, history 3, weight decay 0.001", stdout);
        var steps = File.ReadAllLines(Path.Combine(dir.Path, "steps.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(4, steps.Length);
        Assert.True(steps[0].GetProperty("evaluations").GetInt32() >= 2);
        Assert.True(steps[^1].GetProperty("loss").GetDouble() < steps[0].GetProperty("loss").GetDouble());
        Assert.True(steps[^1].GetProperty("gradient_norm").GetDouble() < steps[0].GetProperty("gradient_norm").GetDouble());
    }
}
