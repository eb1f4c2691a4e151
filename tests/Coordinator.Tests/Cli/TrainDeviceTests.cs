using System.Text.Json;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>
/// `train --device`: the refusal and the fallback on a machine without a GPU, and the GPU code path (on ILGPU's CPU
/// accelerator) reaching the parameters the CPU backend reaches.
/// </summary>
[Collection(IlgpuCpuCollection.Name)]
public class TrainDeviceTests
{
    [NoCudaFact]
    public void CudaWithoutAGpuExitsOneWithOneLine()
    {
        var (code, stdout, err) = CliRunner.Run("train", "--model", "linreg", "--device", "cuda", "--epochs", "1");

        Assert.Equal(1, code);
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{err}");
        Assert.StartsWith("error: --device cuda: ", lines[0]);
        Assert.DoesNotContain("epoch", stdout);
    }

    [NoCudaFact]
    public void AutoFallsBackToTheCpuAndSaysWhy()
    {
        var (code, stdout, err) = CliRunner.Run("train", "--model", "linreg", "--device", "auto", "--epochs", "1");

        Assert.True(code == 0, err);
        var device = Assert.Single(stdout.Split('\n'), l => l.StartsWith("device: ", StringComparison.Ordinal));
        Assert.StartsWith("device: cpu (", device);
        Assert.Contains($"no GPU used: {CudaProbe.NoCudaReason}", device);
    }

    [Fact]
    public void LinregOnIlgpuCpuMatchesTheCpu()
    {
        var (cpuOut, cpuLoss, cpuTheta) = Linreg("cpu");
        var (gpuOut, gpuLoss, gpuTheta) = Linreg("ilgpu-cpu");

        Assert.Contains("device: cpu (", cpuOut);
        Assert.Contains("device: ilgpu-cpu (CPUAccelerator", gpuOut);
        Assert.Contains("parameters: ", gpuOut);

        // 20 SGD steps from y = −0.26x + 0.02 towards y = 2x: a path, not just the fixed point, has to agree.
        Assert.True(cpuLoss is > 1e-4 and < 1, $"cpu final loss {cpuLoss}");
        Assert.Equal(cpuLoss, gpuLoss, 1e-6);
        Assert.Equal(cpuTheta.Length, gpuTheta.Length);
        for (var i = 0; i < cpuTheta.Length; i++)
        {
            Assert.Equal(cpuTheta[i], gpuTheta[i], 1e-5);
        }
    }

    private static (string Stdout, double FinalLoss, double[] Parameters) Linreg(string device)
    {
        using var dir = new TempDirectory();
        var json = dir.File("summary.json");
        var (code, stdout, err) = CliRunner.Run(
            "train", "--model", "linreg", "--optimizer", "sgd", "--lr", "0.02", "--epochs", "20", "--device", device, "--json", json);
        Assert.True(code == 0, $"{device}: exit {code}\n{err}");
        using var summary = JsonDocument.Parse(File.ReadAllText(json));
        var root = summary.RootElement;
        var theta = root.GetProperty("parameter_values").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        return (stdout, root.GetProperty("final_loss").GetDouble(), theta);
    }
}
