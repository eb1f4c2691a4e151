using k8s;
using k8s.Models;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>`--min-workers` and `--rejoin-timeout` against the job they are given for: out of range, or doing nothing, is one line and exit code 2 before any worker starts.</summary>
public class RecoveryFlagsTests
{
    [Theory]
    [InlineData("--min-workers must be between 1 and the job's 3 workers, got 4", "--workers", "3", "--max-restarts", "1", "--min-workers", "4")]
    [InlineData("--min-workers must be between 1 and the job's 3 workers, got 0", "--workers", "3", "--max-restarts", "1", "--min-workers", "0")]
    [InlineData("--rejoin-timeout must be above 0 and at most 86400 seconds, got 0", "--workers", "3", "--max-restarts", "1", "--min-workers", "2", "--rejoin-timeout", "0")]
    [InlineData("--min-workers and --rejoin-timeout say how ranks come back after a restart; add --max-restarts R", "--workers", "3", "--min-workers", "2")]
    [InlineData("--min-workers and --rejoin-timeout say how ranks come back after a restart; add --max-restarts R", "--workers", "3", "--rejoin-timeout", "5")]
    [InlineData("--rejoin-timeout is how long ranks beyond --min-workers have to come back after a restart; with every rank required (3), a restart waits --join-timeout for them all", "--workers", "3", "--max-restarts", "1", "--rejoin-timeout", "5")]
    [InlineData("--min-workers and --rejoin-timeout shape the restarts of a distributed job; add --workers N", "--min-workers", "1")]
    [InlineData("--min-workers and --rejoin-timeout shape the restarts of a distributed job; add --workers N", "--rejoin-timeout", "5")]
    public void TrainRefusesWithOneLine(string expected, params string[] flags)
    {
        var (code, output, err) = CliRunner.Run(["train", "--model", "linreg", .. flags]);

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, expected);
        Assert.DoesNotContain("started rank", output);
    }

    [Fact]
    public void SubmitRefusesAMinimumAboveItsWorkers()
    {
        var (code, _, err) = CliRunner.Run("submit", "--dry-run", "--name", "ck", "--workers", "2", "--checkpoint-volume", "ck-claim", "--max-restarts", "2", "--min-workers", "3");

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, "--min-workers must be between 1 and the job's 2 workers, got 3");
    }

    [Fact]
    public void SubmitGivesBothFlagsToTheCoordinatorAlone()
    {
        var (code, yaml, err) = CliRunner.Run("submit", "--dry-run", "--name", "ck", "--workers", "3", "--checkpoint-volume", "ck-claim", "--max-restarts", "2", "--min-workers", "2", "--rejoin-timeout", "30");

        Assert.True(code == 0, err);
        var config = KubernetesYaml.LoadAllFromString(yaml, strict: true).OfType<V1ConfigMap>().Single();
        Assert.Equal(["--checkpoint-dir /checkpoints/ck", "--max-restarts 2", "--min-workers 2", "--rejoin-timeout 30"], config.Data["coordinator.rsp"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.DoesNotContain("--min-workers", config.Data["train.rsp"]);
        Assert.DoesNotContain("--rejoin-timeout", config.Data["train.rsp"]);
    }
}
