using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Tests.Compute.Ilgpu;

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuDevicesTests
{
    [Fact]
    public void CpuAcceleratorRunsTheSmokeKernelWithGpuSizedGroups()
    {
        Assert.Null(IlgpuDevices.SmokeTest(IlgpuTestDevices.Cpu));
        Assert.True(IlgpuTestDevices.Cpu.MaxNumThreadsPerGroup >= IlgpuDevices.GroupSize);
    }

    [Fact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void CudaIsFoundOrItsAbsenceIsExplained()
    {
        var accelerator = IlgpuDevices.TryCreateCuda(IlgpuTestDevices.Context, out var why);
        if (accelerator is null)
        {
            Assert.False(string.IsNullOrWhiteSpace(why));
        }
        else
        {
            Assert.Null(IlgpuDevices.SmokeTest(accelerator));
            accelerator.Dispose();
        }
    }
}
