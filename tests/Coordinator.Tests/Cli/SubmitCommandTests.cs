using k8s;
using k8s.Models;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>`submit --dry-run` prints the job it would create; bad input and a missing cluster are one line each.</summary>
public class SubmitCommandTests
{
    [Fact]
    public void DryRunPrintsTheJobWithTheFlagsExactlyAsGiven()
    {
        var (code, yaml, err) = CliRunner.Run("submit", "--dry-run", "--name", "demo", "--workers", "3", "-n", "ml", "--image", "registry.example.com/distributed:1.0",
            "--model", "cnn", "--lr", "0.01", "--data", "/mnt/my data", "--zero", "1", "--nesterov", "--cpu", "4", "--memory", "8Gi");

        Assert.True(code == 0, err);
        var objects = KubernetesYaml.LoadAllFromString(yaml, strict: true).Cast<IKubernetesObject<V1ObjectMeta>>().ToList();
        Assert.Equal(["ConfigMap/demo-config", "Service/demo-coordinator", "Service/demo-workers", "Job/demo-coordinator", "Job/demo-workers"], objects.Select(o => $"{o.Kind}/{o.Name()}"));
        Assert.All(objects, o => Assert.Equal("ml", o.Namespace()));
        var config = objects.OfType<V1ConfigMap>().Single();
        Assert.Equal("3", config.Data["WORLD_SIZE"]);
        Assert.Equal("demo", config.Data["JOB_ID"]);
        Assert.Equal(["--model cnn", "--data \"/mnt/my data\"", "--lr 0.01", "--nesterov", "--zero 1"], config.Data["train.rsp"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        var workers = objects.OfType<V1Job>().Single(j => j.Name() == "demo-workers");
        Assert.Equal(3, workers.Spec.Completions);
        var container = workers.Spec.Template.Spec.Containers.Single();
        Assert.Equal("registry.example.com/distributed:1.0", container.Image);
        Assert.Equal(new ResourceQuantity("8Gi"), container.Resources.Limits["memory"]);
        Assert.Equal(new ResourceQuantity("4"), container.Resources.Requests["cpu"]);
    }

    [Fact]
    public void DryRunWithACheckpointVolumeGivesTheCoordinatorItsCheckpointFlagsAndTheWorkersRoomToRestart()
    {
        var (code, yaml, err) = CliRunner.Run("submit", "--dry-run", "--name", "ck", "--checkpoint-volume", "ck-claim", "--checkpoint-every", "100", "--max-restarts", "2", "--epochs", "3");

        Assert.True(code == 0, err);
        var objects = KubernetesYaml.LoadAllFromString(yaml, strict: true);
        var config = objects.OfType<V1ConfigMap>().Single();
        Assert.Equal(["--epochs 3"], config.Data["train.rsp"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.Equal(["--checkpoint-dir /checkpoints/ck", "--checkpoint-every 100", "--max-restarts 2"], config.Data["coordinator.rsp"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        Assert.Equal(2, objects.OfType<V1Job>().Single(j => j.Name() == "ck-workers").Spec.BackoffLimitPerIndex);
        Assert.All(objects.OfType<V1Job>(), j => Assert.Equal("ck-claim", j.Spec.Template.Spec.Volumes.Single(v => v.Name == "checkpoints").PersistentVolumeClaim.ClaimName));
    }

    [Fact]
    public void DryRunWithGpusPutsWorkersOnTheCudaImage()
    {
        var (code, yaml, err) = CliRunner.Run("submit", "--dry-run", "--name", "gpu", "--gpus", "1");

        Assert.True(code == 0, err);
        var jobs = KubernetesYaml.LoadAllFromString(yaml, strict: true).OfType<V1Job>().ToDictionary(j => j.Name());
        Assert.Equal("distributed:dev-cuda", jobs["gpu-workers"].Spec.Template.Spec.Containers[0].Image);
        Assert.Equal("1", jobs["gpu-workers"].Spec.Template.Spec.Containers[0].Resources.Limits["nvidia.com/gpu"].ToString());
        Assert.Equal("distributed:dev", jobs["gpu-coordinator"].Spec.Template.Spec.Containers[0].Image);
    }

    [Fact]
    public void WithoutANameTheJobIsNamedByTheTime()
    {
        var (code, yaml, err) = CliRunner.Run("submit", "--dry-run");

        Assert.True(code == 0, err);
        var config = KubernetesYaml.LoadAllFromString(yaml, strict: true).OfType<V1ConfigMap>().Single();
        Assert.Matches(@"^distributed-\d{6}-\d{6}$", config.Data["JOB_ID"]);
        Assert.Null(config.Namespace());
    }

    [Theory]
    [InlineData("'Bad_Name'", "submit", "--dry-run", "--name", "Bad_Name")]
    [InlineData("workers", "submit", "--dry-run", "--workers", "0")]
    [InlineData("'two'", "submit", "--dry-run", "--cpu", "two")]
    [InlineData("'lots'", "submit", "--dry-run", "--coordinator-memory", "lots")]
    [InlineData("GPUs per worker", "submit", "--dry-run", "--gpus", "-1")]
    [InlineData("add --checkpoint-volume CLAIM", "submit", "--dry-run", "--checkpoint-dir", "/data/ck")]
    [InlineData("is not on the checkpoint volume", "submit", "--dry-run", "--checkpoint-volume", "ck", "--resume", "/data/ck")]
    [InlineData("digest", "submit", "--dry-run", "--gpus", "1", "--image", "distributed@sha256:abc")]
    [InlineData("--data", "submit", "--dry-run", "--data", "say \"hi\"")]
    [InlineData("--bogus", "submit", "--dry-run", "--bogus")]
    public void BadInputIsOneLineWithExitCode2(string expected, params string[] args)
    {
        var (code, output, err) = CliRunner.Run(args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(expected, line, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("submit", "--name", "demo")]
    [InlineData("status", "demo")]
    [InlineData("logs", "demo", "--rank", "1")]
    [InlineData("delete", "demo")]
    public void NoClusterIsOneLineWithExitCode1(params string[] args)
    {
        var (code, _, err) = CliRunner.Run([.. args, "--kubeconfig", "/nonexistent/kubeconfig"]);

        Assert.Equal(1, code);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: no usable cluster configuration", line);
    }
}
