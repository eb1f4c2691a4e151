using Distributed.Coordinator.Cli;
using Distributed.Tests.Shared;

namespace Distributed.Coordinator.Tests.Cli.Compare;

/// <summary>`compare` reads the runs `train --out` wrote, counts passes as the README's comparison does, and draws them.</summary>
public class CompareCommandTests
{
    [Fact]
    public void TwoRealRunsAreDrawnOnOneChart()
    {
        using var dir = new TempDirectory();
        foreach (var (name, extra) in new[] { ("sgd", new[] { "--optimizer", "sgd", "--lr", "0.1", "--batch-size", "2" }), ("lbfgs", new[] { "--optimizer", "lbfgs", "--metrics-format", "jsonl" }) })
        {
            var (code, _, err) = CliRunner.Run(["train", "--model", "linreg", "--epochs", "3", "--out", dir.File(name), .. extra]);
            Assert.True(code == 0, err);
        }

        var (exit, stdout, stderr) = CliRunner.Run("compare", dir.File("sgd"), dir.File("lbfgs"), "--x", "passes", "--out", dir.File("chart.svg"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("sgd: 6 steps, last reported loss", stdout);
        Assert.Contains("3 passes and", stdout);
        Assert.Contains("lbfgs: 3 steps", stdout);
        Assert.True(new FileInfo(dir.File("chart.png")).Length > 1000);
        Assert.Contains("lbfgs", File.ReadAllText(dir.File("chart.svg")));
    }

    [Fact]
    public void FullBatchPassesCountEvaluationsAndHessianProducts()
    {
        using var dir = new TempDirectory();
        var run = dir.Subdirectory("newton");
        File.WriteAllLines(Path.Combine(run, "steps.csv"),
        [
            "epoch,step,loss,lr,batch_size,seconds,gradient_norm,evaluations,hessian_products",
            "1,1,0.9,1,100,0.5,0.1,2,3",
            "2,2,0.5,1,100,0.25,0.01,1,4",
        ]);

        var history = RunHistory.Read(run);

        // Each loss at the cost spent before its step; the last point is the end of the last step.
        Assert.Equal([new RunPoint(1, 0.9, 0, 0), new RunPoint(2, 0.5, 0.5, 5), new RunPoint(2, 0.5, 0.75, 10)], history.Points);
        Assert.Equal("newton", history.Name);
    }

    [Theory]
    [InlineData("missing", "no steps.csv or steps.jsonl")]
    [InlineData("bad", "steps.csv:2: column 3 is not a number")]
    public void ARunThatCannotBeReadIsOneLineAndExitTwo(string name, string message)
    {
        using var dir = new TempDirectory();
        var run = dir.File(name);
        if (name == "bad")
        {
            Directory.CreateDirectory(run);
            File.WriteAllLines(Path.Combine(run, "steps.csv"), ["epoch,step,loss,lr,batch_size,seconds", "1,1,x,0.1,4,0.1"]);
        }

        var (code, _, err) = CliRunner.Run("compare", run, "--out", dir.File("chart.svg"));

        Assert.Equal(2, code);
        Assert.Contains(message, err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
