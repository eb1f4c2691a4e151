using System.Text.Json;

namespace Distributed.Coordinator.Tests.Cli;

[Collection(IlgpuCpuCollection.Name)]
public sealed class BenchCommandTests
{
    [Theory]
    [InlineData("mlp")]
    [InlineData("cnn")]
    public void BenchTrainReportsThroughputAndZeroAllocationsPerStep(string model)
    {
        using var dir = new TempDirectory();
        var json = dir.File("bench-train.json");
        var (code, output, error) = CliRunner.Run("bench", "train", "--model", model, "--batch-size", "16", "--steps", "4", "--warmup", "2", "--threads", "1", "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("samples/s", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.True(root.GetProperty("samples_per_second").GetDouble() > 0);
        Assert.True(root.GetProperty("ms_per_step").GetDouble() > 0);

        // Process-wide bytes, so another test running at the same time could add some: the exact zero is
        // asserted per thread in Core.Tests; here a whole step's worth of buffers would still show.
        Assert.True(root.GetProperty("allocated_bytes_per_step").GetDouble() < 64 * 1024, root.ToString());
    }

    [Fact]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    public void BenchTrainOnTheIlgpuCpuAcceleratorNamesTheDevice()
    {
        using var dir = new TempDirectory();
        var json = dir.File("bench-train.json");
        var (code, output, error) = CliRunner.Run("bench", "train", "--device", "ilgpu-cpu", "--model", "mlp", "--steps", "2", "--warmup", "1", "--batch-size", "8", "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("ilgpu-cpu (CPUAccelerator", output);
        Assert.Contains("samples/s", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var root = doc.RootElement;
        Assert.Equal("ilgpu-cpu", root.GetProperty("device").GetString());
        Assert.StartsWith("ilgpu-cpu (CPUAccelerator", root.GetProperty("backend").GetString());
        Assert.True(root.GetProperty("samples_per_second").GetDouble() > 0);
    }

    [Theory]
    [InlineData("--model", "linreg")]
    [InlineData("--device", "bogus")]
    [InlineData("--batch-size", "0")]
    [InlineData("--steps", "-1")]
    [InlineData("--threads", "-2")]
    [InlineData("--workers", "-1")]
    [InlineData("--zero", "2")]
    public void BenchTrainRejectsBadFlagsWithOneLine(string flag, string value)
    {
        var (code, _, error) = CliRunner.Run("bench", "train", flag, value);

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("error:", error);
    }

    [Fact]
    public void BenchGemmPrintsGflopsAgainstThePeak()
    {
        using var dir = new TempDirectory();
        var json = dir.File("bench-gemm.json");
        var (code, output, error) = CliRunner.Run("bench", "gemm", "--threads", "1", "--seconds", "0.001", "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("FMA peak", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        Assert.True(doc.RootElement.GetProperty("peak_gflops_per_core").GetDouble() > 0);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        Assert.Contains(rows, r => r.GetProperty("shape").GetString() == "mlp fc1 forward");
        Assert.All(rows, r => Assert.True(r.GetProperty("gflops").GetDouble() > 0));
    }

    [Fact]
    [Trait(TestCategory.Key, TestCategory.Slow)]
    public void BenchGemmOnADeviceTimesTheTiledKernelAndSaysWhyCuBlasIsMissing()
    {
        using var dir = new TempDirectory();
        var json = dir.File("bench-device-gemm.json");
        var (code, output, error) = CliRunner.Run("bench", "gemm", "--device", "ilgpu-cpu", "--only", "mlp fc2 forward b128", "--seconds", "0.001", "--json", json);

        Assert.True(code == 0, error);
        Assert.Contains("CPUAccelerator", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToArray();
        var tiled = Assert.Single(rows, r => r.GetProperty("gemm").GetString() == "tiled");
        Assert.True(tiled.GetProperty("gflops").GetDouble() > 0);
        var cuBlas = Assert.Single(rows, r => r.GetProperty("gemm").GetString() == "cuBLAS");
        Assert.Contains("CUDA", cuBlas.GetProperty("unavailable").GetString());
    }

    [Theory]
    [InlineData("--device", "tpu")]
    [InlineData("--only", "no such shape")]
    public void BenchGemmRejectsABadDeviceOrShape(string flag, string value)
    {
        var device = flag == "--only" ? new[] { "--device", "ilgpu-cpu" } : [];
        var (code, _, error) = CliRunner.Run(["bench", "gemm", .. device, flag, value]);

        Assert.Equal(2, code);
        Assert.Contains(value, error);
    }

    [Fact]
    public void BenchGemmRejectsABadThreadList()
    {
        var (code, _, error) = CliRunner.Run("bench", "gemm", "--threads", "1,x");

        Assert.Equal(2, code);
        Assert.Contains("--threads", error);
    }
}
