using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>
/// `train --workers 2 --device ilgpu-cpu`: each worker runs the GPU code path (on ILGPU's CPU accelerator), so its
/// gradient buckets are downloaded from the device for the ring all-reduce and the reduced ones uploaded again. The job
/// must land on the parameters one CPU process reaches on the same global batches.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class DeviceTests
{
    [Fact]
    public async Task WorkersOnIlgpuCpuMatchOneCpuProcess()
    {
        var (reference, _) = await Linreg(["--device", "cpu"]);

        var (distributed, stdout) = await Linreg(["--workers", "2", "--device", "ilgpu-cpu"]);

        Assert.Contains("device: ilgpu-cpu in each worker", stdout);
        Assert.Contains("[rank 0] worker device: ilgpu-cpu (CPUAccelerator", stdout);
        Assert.Contains("[rank 1] worker device: ilgpu-cpu (CPUAccelerator", stdout);
        Assert.Contains("all 2 ranks hold identical parameters", stdout);
        Assert.Equal(reference.Length, distributed.Length);
        for (var i = 0; i < reference.Length; i++)
        {
            Assert.Equal(reference[i], distributed[i], 1e-5);
        }
    }

    private static async Task<(float[] Parameters, string Stdout)> Linreg(string[] extra)
    {
        using var dir = new TempDirectory();
        var save = dir.File("device.bin");
        // 20 SGD steps on the four built-in points, two per worker: far enough from y = 2x that the path counts.
        string[] args = ["train", "--model", "linreg", "--optimizer", "sgd", "--lr", "0.02", "--epochs", "20", "--batch-size", "4", "--threads", "1", "--save", save, .. extra];
        var (code, stdout, stderr) = await ProgramRun.RunAsync(args, TimeSpan.FromSeconds(180));
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        return (ParameterFile.Read(save), stdout);
    }
}
