using System.Text.Json;

namespace Distributed.Coordinator.Tests.Cli.Sweep;

/// <summary>`sweep` end to end, in process, on the builtin linreg points: each trial is a fraction of a second.</summary>
public class SweepCommandTests
{
    /// <summary>linreg with SGD, one sample per step; two good learning rates and two that crawl.</summary>
    private static readonly string[] Linreg = ["sweep", "--model", "linreg", "--optimizer", "sgd", "--batch-size", "1", "--epochs", "9", "--objective", "final_loss"];

    private static JsonElement[] Trials(string dir)
    {
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        return [.. summary.RootElement.GetProperty("trials").EnumerateArray().Select(t => t.Clone())];
    }

    [Fact]
    public void AshaStopsTrialsThatCrawlAtTheFirstRungAndSpendsFewerEpochsThanTheGrid()
    {
        using var dir = new TempDirectory();
        string[] space = ["--param", "lr=[0.05,0.02,1e-7,1e-8]"];

        var (code, stdout, err) = CliRunner.Run([.. Linreg, .. space, "--pruner", "asha", "--out", dir.File("asha")]);
        var (fullCode, _, fullErr) = CliRunner.Run([.. Linreg, .. space, "--out", dir.File("full")]);

        Assert.True(code == 0, err);
        Assert.True(fullCode == 0, fullErr);
        var asha = Trials(dir.File("asha"));
        var crawling = asha.Where(t => t.GetProperty("params").GetProperty("lr").GetString()!.Contains("e-", StringComparison.Ordinal)).ToArray();
        Assert.Equal(2, crawling.Length);
        Assert.All(crawling, t => Assert.Equal(("pruned", 1), (t.GetProperty("status").GetString(), t.GetProperty("epochs").GetInt32())));
        Assert.Equal("completed", asha[0].GetProperty("status").GetString());
        var spent = asha.Sum(t => t.GetProperty("epochs").GetInt32());
        var full = Trials(dir.File("full")).Sum(t => t.GetProperty("epochs").GetInt32());
        Assert.Equal(36, full);
        Assert.True(spent < full, $"asha spent {spent} epochs, the full grid {full}");
        Assert.Contains("best: trial 0", stdout);
        Assert.Contains("train --model linreg --optimizer sgd --epochs 9 --batch-size 1 --lr 0.05", stdout);
    }

    [Fact]
    public void SummaryHoldsTheBestTrialAndEveryTrialsHistoryAndCommand()
    {
        using var dir = new TempDirectory();

        var (code, _, err) = CliRunner.Run([.. Linreg, "--param", "lr=[0.01,0.05]", "--out", dir.Path]);

        Assert.True(code == 0, err);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        var root = summary.RootElement;
        Assert.Equal(1, root.GetProperty("best").GetProperty("trial").GetInt32());
        Assert.Equal("0.05", root.GetProperty("best").GetProperty("params").GetProperty("lr").GetString());
        foreach (var t in root.GetProperty("trials").EnumerateArray())
        {
            Assert.Equal(9, t.GetProperty("history").GetArrayLength());
            Assert.StartsWith("train --model linreg", t.GetProperty("command").GetString());
        }

        foreach (var plot in new[] { "objective", "curves", "param-lr" })
        {
            Assert.True(new FileInfo(dir.File(plot + ".png")).Length > 1000, plot);
            Assert.Contains("<svg", File.ReadAllText(dir.File(plot + ".svg")));
        }
    }

    [Fact]
    public void AFailingTrialIsRecordedAndTheSweepCompletes()
    {
        using var dir = new TempDirectory();

        var (code, stdout, err) = CliRunner.Run([.. Linreg, "--param", "lr=[0.01,1e6]", "--out", dir.Path]);

        Assert.True(code == 0, err);
        var trials = Trials(dir.Path);
        Assert.Equal(["completed", "failed"], trials.Select(t => t.GetProperty("status").GetString()));
        var error = trials[1].GetProperty("error").GetString()!;
        Assert.DoesNotContain('\n', error);
        Assert.Contains($"trial 1 failed: {error}", stdout);
    }

    [Fact]
    public void MaxFailuresStopsTheSweepWithExitOne()
    {
        using var dir = new TempDirectory();

        var (code, _, err) = CliRunner.Run([.. Linreg, "--param", "lr=[1e6,2e6,0.01]", "--max-failures", "1", "--out", dir.Path]);

        Assert.Equal(1, code);
        Assert.Contains("2 trials failed, more than --max-failures 1", err);
        Assert.Equal(2, Trials(dir.Path).Length);
    }

    [Fact]
    public void ParallelTrialsWriteOnlyTheirOwnFiles()
    {
        using var dir = new TempDirectory();

        var (code, _, err) = CliRunner.Run([.. Linreg, "--param", "lr=[0.01,0.02,0.03,0.04]", "--parallel", "2", "--out", dir.Path]);

        Assert.True(code == 0, err);
        var trials = Trials(dir.Path);
        Assert.Equal(4, trials.Length);
        foreach (var t in trials)
        {
            var own = Path.Combine(dir.Path, "trials", t.GetProperty("trial").GetInt32().ToString("D4", System.Globalization.CultureInfo.InvariantCulture));
            var command = t.GetProperty("command").GetString()!;
            Assert.Contains($"--out {own} ", command);
            Assert.Contains($"--json {Path.Combine(own, "summary.json")}", command);
            Assert.Equal(11, File.ReadAllLines(Path.Combine(own, "train.log")).Length); // the command, 9 epochs, done: nothing of another trial
            Assert.Equal(9, File.ReadAllLines(Path.Combine(own, "epochs.jsonl")).Length);
            using var ownSummary = JsonDocument.Parse(File.ReadAllText(Path.Combine(own, "summary.json")));
            Assert.Equal(double.Parse(t.GetProperty("params").GetProperty("lr").GetString()!, System.Globalization.CultureInfo.InvariantCulture), ownSummary.RootElement.GetProperty("lr").GetDouble(), 12);
        }
    }

    [Fact]
    public void ResumeRunsNothingThatEnded()
    {
        using var dir = new TempDirectory();
        var (code, _, err) = CliRunner.Run([.. Linreg, "--param", "lr=[0.01,0.02,0.03]", "--out", dir.Path]);
        Assert.True(code == 0, err);

        // As if interrupted while trial 2 ran: it has no record, and a half-written file.
        var interrupted = Path.Combine(dir.Path, "trials", "0002");
        File.Delete(Path.Combine(interrupted, "trial.json"));
        File.WriteAllText(Path.Combine(interrupted, "epochs.jsonl"), "{\"epoch\":1,");
        var before = Enumerable.Range(0, 2).Select(i => File.GetLastWriteTimeUtc(Path.Combine(dir.Path, "trials", $"000{i}", "trial.json"))).ToArray();

        var (again, stdout, err2) = CliRunner.Run("sweep", "--resume", dir.Path);

        Assert.True(again == 0, err2);
        Assert.Contains("resuming: 2 of 3 trials already ended", stdout);
        Assert.DoesNotContain("trial 0/3:", stdout);
        Assert.DoesNotContain("trial 1/3:", stdout);
        Assert.Contains("trial 2/3 completed", stdout);
        Assert.Equal(before, Enumerable.Range(0, 2).Select(i => File.GetLastWriteTimeUtc(Path.Combine(dir.Path, "trials", $"000{i}", "trial.json"))));
        Assert.Equal(["completed", "completed", "completed"], Trials(dir.Path).Select(t => t.GetProperty("status").GetString()));
        Assert.Equal(9, File.ReadAllLines(Path.Combine(interrupted, "epochs.jsonl")).Length);
    }

    [Theory]
    [InlineData("--param", "learning-rate=[0.1]", "unknown parameter 'learning-rate'")]
    [InlineData("--param", "lr=[0.1,fast]", "--param lr: 'fast' is not a value of --lr")]
    [InlineData("--param", "lr=log(0,1)", "a log range needs bounds above 0")]
    [InlineData("--param", "lr=uniform(0.1,0.2)", "--sampler grid cannot enumerate the float range")]
    [InlineData("--param", "optimizer=1..3", "--optimizer takes a name, not a number range")]
    [InlineData("--param", "out=[a,b]", "--out cannot be swept")]
    [InlineData("--pruner", "hyperband", "unknown pruner 'hyperband'")]
    [InlineData("--objective", "f1", "unknown objective 'f1'")]
    [InlineData("--parallel", "0", "--parallel must be between 1")]
    public void BadInputIsOneLineAndExitTwo(string flag, string value, string expected)
    {
        using var dir = new TempDirectory();
        string[] args = flag == "--param" ? ["sweep", flag, value, "--out", dir.Path] : ["sweep", "--param", "lr=[0.1]", flag, value, "--out", dir.Path];

        var (code, _, err) = CliRunner.Run(args);

        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.TrimEnd().Split('\n'));
    }

    [Fact]
    public void ResumeTakesNoOtherFlagsAndNeedsASweep()
    {
        using var dir = new TempDirectory();
        Assert.Equal(2, CliRunner.Run("sweep", "--resume", dir.Path).Code);
        var (code, _, err) = CliRunner.Run("sweep", "--resume", dir.Path, "--parallel", "2");
        Assert.Equal(2, code);
        Assert.Contains("leave out --parallel", err);
    }
}
