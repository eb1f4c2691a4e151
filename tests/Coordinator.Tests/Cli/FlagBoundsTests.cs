namespace Distributed.Coordinator.Tests.Cli;

/// <summary>What a careless user types: impossible counts, flags that would do nothing, malformed role settings. Each is one line and exit code 2.</summary>
public class FlagBoundsTests
{
    [Theory]
    [InlineData("--workers must be between 1 and", "train", "--workers", "1000")]
    [InlineData("--workers must be between 1 and", "train", "--workers", "-1")]
    [InlineData("--threads must be between 0 (all cores) and", "train", "--model", "linreg", "--threads", "10000")]
    [InlineData("--chunk-kb must be between 1 and 4096, got 0", "train", "--model", "linreg", "--chunk-kb", "0")]
    [InlineData("--peer-timeout must be above 0", "train", "--model", "linreg", "--peer-timeout", "0")]
    [InlineData("nesterov is not used by adam", "train", "--model", "linreg", "--nesterov")]
    [InlineData("beta1 is not used by sgd", "train", "--model", "linreg", "--optimizer", "sgd", "--beta1", "0.8")]
    [InlineData("lr-min is not used by the constant schedule", "train", "--model", "linreg", "--lr-min", "0.0001")]
    [InlineData("--port must be a port between 0 and 65535, got 70000", "coordinator", "--workers", "2", "--model", "linreg", "--port", "70000")]
    [InlineData("--port must be a port between 0 and 65535, got -5", "coordinator", "--workers", "2", "--model", "linreg", "--port", "-5")]
    [InlineData("--workers (WORLD_SIZE) must be between 1 and 1024, got 0", "coordinator", "--workers", "0")]
    [InlineData("--coordinator 'nohost' is not host:port", "worker", "--coordinator", "nohost")]
    [InlineData("--coordinator 'host:99999' is not host:port", "worker", "--coordinator", "host:99999")]
    [InlineData("--out", "worker", "--coordinator", "127.0.0.1:1", "--out", "dir")]
    [InlineData("unknown device 'tpu'", "coordinator", "--workers", "1", "--model", "linreg", "--device", "tpu")]
    [InlineData("--workers must be between 1 and", "bench", "allreduce", "--workers", "1000")]
    public void IsRefusedWithOneLine(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, expected);
    }

    [Fact]
    public void ABatchLargerThanTheDataIsOneStepOfEverySample()
    {
        using var dir = new TempDirectory();
        var json = dir.File("run.json");

        var (code, output, err) = CliRunner.Run("train", "--model", "linreg", "--batch-size", "2147483647", "--epochs", "2", "--json", json);

        Assert.True(code == 0, err);
        Assert.Contains("done: 2 steps", output);
        Assert.Contains("\"steps\": 2", File.ReadAllText(json));
    }
}

/// <summary>Role settings read from the environment, as Kubernetes passes them; not run in parallel with anything that reads the same variables.</summary>
[Collection(nameof(EnvironmentCollection))]
public class RoleEnvironmentTests
{
    [Theory]
    [InlineData("WORLD_SIZE", "abc", "coordinator", "environment variable WORLD_SIZE='abc' is not an integer")]
    [InlineData("COORDINATOR_PORT", "abc", "coordinator", "environment variable COORDINATOR_PORT='abc' is not an integer")]
    [InlineData("COORDINATOR_PORT", "99999", "coordinator", "COORDINATOR_PORT must be a port between 0 and 65535, got 99999")]
    [InlineData("RANK", "abc", "worker", "environment variable RANK='abc' is not an integer")]
    [InlineData("JOB_COMPLETION_INDEX", "zz", "worker", "environment variable JOB_COMPLETION_INDEX='zz' is not an integer")]
    [InlineData("COORDINATOR_ADDRESS", "http://[::1", "worker", "COORDINATOR_ADDRESS 'http://[::1' is not host:port")]
    public void AMalformedVariableIsOneLine(string variable, string value, string role, string expected)
    {
        var saved = new Dictionary<string, string?>();
        string[] touched = ["WORLD_SIZE", "COORDINATOR_PORT", "RANK", "JOB_COMPLETION_INDEX", "COORDINATOR_ADDRESS"];
        foreach (var name in touched)
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, null);
        }

        try
        {
            Environment.SetEnvironmentVariable("WORLD_SIZE", "2");
            Environment.SetEnvironmentVariable("COORDINATOR_ADDRESS", "127.0.0.1:1");
            Environment.SetEnvironmentVariable(variable, value);
            string[] args = role == "coordinator" ? ["coordinator", "--model", "linreg"] : ["worker", "--model", "linreg"];

            var (code, _, err) = CliRunner.Run(args);

            Assert.Equal(2, code);
            BadInputTests.AssertOneLine(err, expected);
        }
        finally
        {
            foreach (var (name, old) in saved)
            {
                Environment.SetEnvironmentVariable(name, old);
            }
        }
    }
}

[CollectionDefinition(nameof(EnvironmentCollection), DisableParallelization = true)]
public sealed class EnvironmentCollection;

/// <summary>`--accumulate K`: K batches' gradients summed before each step, as one batch K times larger.</summary>
public class AccumulateTests
{
    [Fact]
    public void AccumulatedBatchesTrainAsTheLargerBatch()
    {
        using var dir = new TempDirectory();
        string[] common = ["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "96", "--epochs", "2", "--progress", "none"];

        var (whole, wholeOut, wholeErr) = CliRunner.Run([.. common, "--batch-size", "24", "--json", dir.File("whole.json")]);
        var (parts, partsOut, partsErr) = CliRunner.Run([.. common, "--batch-size", "8", "--accumulate", "3", "--json", dir.File("parts.json")]);

        Assert.True(whole == 0, wholeErr);
        Assert.True(parts == 0, partsErr);
        Assert.Contains("batch 24 (3 accumulated batches of 8)", partsOut);
        Assert.Contains("done: 8 steps", wholeOut);
        Assert.Contains("done: 8 steps", partsOut);
        var expected = FinalLoss(dir.File("whole.json"));
        Assert.Equal(expected, FinalLoss(dir.File("parts.json")), 1e-5 * Math.Abs(expected));
    }

    [Fact]
    public void ANonPositiveCountIsRefused()
    {
        var (code, _, err) = CliRunner.Run("train", "--model", "linreg", "--accumulate", "0");

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, "--accumulate must be at least 1");
    }

    private static double FinalLoss(string json) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement.GetProperty("final_loss").GetDouble();
}
