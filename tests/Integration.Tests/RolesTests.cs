using System.Text.Json;

namespace Distributed.Integration.Tests;

/// <summary>The `coordinator` and `worker` commands run alone, configured from the environment as Kubernetes does, and `bench allreduce`.</summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class RolesTests
{
    [Fact]
    public async Task CoordinatorAndWorkersFromEnvironmentTrainTogether()
    {
        var port = ProgramRun.FreePort();
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("secret"), Distributed.Worker.Security.JobSecret.Create().ToText());
        var common = new Dictionary<string, string>
        {
            ["WORLD_SIZE"] = "2", ["JOB_ID"] = "env-job", ["COORDINATOR_PORT"] = $"{port}", ["COORDINATOR_ADDRESS"] = $"127.0.0.1:{port}", ["DISTRIBUTED_SECRET_FILE"] = dir.File("secret"),
        };
        string[] train = ["--model", "linreg", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "200", "--batch-size", "4", "--zero", "2"];
        using var coordinator = new ProgramRun(["coordinator", "--host", "127.0.0.1", .. train], common);
        await coordinator.WaitForOutputAsync("listening", TimeSpan.FromSeconds(60));

        // Rank 1 joins first and still gets rank 1: ranks come from RANK / JOB_COMPLETION_INDEX, not join order.
        using var second = new ProgramRun(["worker", "--host", "127.0.0.1", "--port", "0", .. train], new Dictionary<string, string>(common) { ["JOB_COMPLETION_INDEX"] = "1" });
        await second.WaitForOutputAsync("", TimeSpan.FromSeconds(1));
        using var first = new ProgramRun(["worker", "--host", "127.0.0.1", "--port", "0", .. train], new Dictionary<string, string>(common) { ["RANK"] = "0" });

        Assert.Equal(0, await coordinator.WaitAsync(TimeSpan.FromSeconds(90)));
        Assert.Equal(0, await first.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await second.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("joined as rank 1 of 2", second.Stdout);
        Assert.Contains("all 2 ranks hold identical parameters", coordinator.Stdout);
        var parameters = coordinator.Stdout.Split('\n').Single(l => l.StartsWith("parameters:", StringComparison.Ordinal))["parameters:".Length..].Split(',').Select(double.Parse).ToArray();
        Assert.Equal(2.0, parameters[0], 2);
        Assert.Equal(0.0, parameters[1], 2);
    }

    [Fact]
    public async Task AllReduceBenchmarkWritesBusBandwidthPerSize()
    {
        using var dir = new TempDirectory();
        var json = dir.File("bench.json");
        var (code, stdout, stderr) = await ProgramRun.RunAsync(["bench", "allreduce", "--workers", "2", "--sizes", "1KB,64KB", "--json", json], TimeSpan.FromSeconds(120));

        Assert.True(code == 0, $"{stdout}\n{stderr}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.EnumerateArray().ToArray();
        Assert.Equal([1024L, 65536L], rows.Select(r => r.GetProperty("bytes").GetInt64()));
        Assert.All(rows, r => Assert.True(r.GetProperty("ms").GetDouble() > 0 && r.GetProperty("bus_bandwidth_gbps").GetDouble() > 0));
    }

    [Fact]
    public async Task TrainBenchmarkAcrossWorkerProcessesReportsEachWorkersAllocations()
    {
        using var dir = new TempDirectory();
        var json = dir.File("bench-train.json");
        var (code, stdout, stderr) = await ProgramRun.RunAsync(
            ["bench", "train", "--model", "mlp", "--workers", "2", "--batch-size", "32", "--steps", "5", "--warmup", "2", "--json", json], TimeSpan.FromSeconds(120));

        Assert.True(code == 0, $"{stdout}\n{stderr}");
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("workers").GetInt32());
        Assert.True(root.GetProperty("samples_per_second").GetDouble() > 0);
        var perRank = root.GetProperty("allocated_bytes_per_step_by_rank").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(2, perRank.Length);
        Assert.All(perRank, b => Assert.True(b >= 0));
    }
}
