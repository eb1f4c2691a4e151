using System.Text.Json;

namespace Distributed.Coordinator.Tests.Cli.Sweep;

/// <summary>Trials that are themselves local jobs (--workers): real `train` processes, each starting its workers.</summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class SweepLocalJobTests
{
    [Fact]
    public void EachTrialIsALocalJobReadFromItsOwnMetricsAndAFailureIsRecorded()
    {
        using var dir = new TempDirectory();

        var (code, stdout, err) = CliRunner.Run(
            "sweep", "--model", "linreg", "--optimizer", "sgd", "--batch-size", "4", "--epochs", "3", "--workers", "1",
            "--objective", "final_loss", "--param", "lr=[0.01,-1]", "--parallel", "2", "--out", dir.Path);

        Assert.True(code == 0, err + stdout);
        using var summary = JsonDocument.Parse(File.ReadAllText(dir.File("summary.json")));
        var trials = summary.RootElement.GetProperty("trials").EnumerateArray().ToArray();
        Assert.Equal("completed", trials[0].GetProperty("status").GetString());
        Assert.Equal(3, trials[0].GetProperty("history").GetArrayLength());
        Assert.Contains("--workers 1", trials[0].GetProperty("command").GetString());
        Assert.Equal("failed", trials[1].GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(trials[1].GetProperty("error").GetString()));
        Assert.Contains("[rank 0]", File.ReadAllText(Path.Combine(dir.Path, "trials", "0000", "train.log")));
    }
}
