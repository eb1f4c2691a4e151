using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// The tiled kernel against the double-precision reference, on the CPU accelerator (small shapes: it runs each
/// group's 256 threads with real barriers) and, where there is one, on a CUDA GPU with shapes spanning many groups
/// and k slabs.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class TiledGemmTests
{
    // One instance per accelerator for the whole run: compiling the kernel is the slow part on the CPU accelerator.
    private static readonly Lazy<TiledGemm> OnCpu = new(() => new TiledGemm(IlgpuTestDevices.Cpu));
    private static readonly Lazy<TiledGemm> OnCuda = new(() => new TiledGemm(IlgpuTestDevices.Cuda));

    public static TheoryData<int, int, int, bool, bool> SmallShapes() => DeviceGemmChecks.WithTransposes(DeviceGemmChecks.SmallShapes);

    public static TheoryData<int, int, int, bool, bool> AllShapes() =>
        DeviceGemmChecks.WithTransposes([.. DeviceGemmChecks.SmallShapes, .. DeviceGemmChecks.LargeShapes]);

    public static TheoryData<float, float> AlphasAndBetas() => new() { { 1f, 0f }, { 1f, 1f }, { -2f, 1f }, { 0.5f, 2f }, { 0f, 0.5f }, { 0f, 0f } };

    [Fact]
    public void IsCalledTiled() => Assert.Equal("tiled", OnCpu.Value.Name);

    [Theory]
    [MemberData(nameof(SmallShapes))]
    public void MatchesReferenceOnCpuAccelerator(int m, int n, int k, bool transposeA, bool transposeB) =>
        DeviceGemmChecks.MatchesReference(IlgpuTestDevices.Cpu, OnCpu.Value, m, n, k, transposeA, transposeB, 1.5f, -0.75f);

    [Theory]
    [MemberData(nameof(AlphasAndBetas))]
    public void HonoursAlphaAndBetaOnCpuAccelerator(float alpha, float beta) =>
        DeviceGemmChecks.HonoursAlphaAndBeta(IlgpuTestDevices.Cpu, OnCpu.Value, alpha, beta);

    [Fact]
    public void BetaZeroOverwritesNaNOnCpuAccelerator() => DeviceGemmChecks.BetaZeroOverwritesNaN(IlgpuTestDevices.Cpu, OnCpu.Value);

    [Fact]
    public void AlphaZeroOnlyScalesCOnCpuAccelerator() => DeviceGemmChecks.AlphaZeroOnlyScalesC(IlgpuTestDevices.Cpu, OnCpu.Value);

    [Fact]
    public void EmptySumOnlyScalesCOnCpuAccelerator() => DeviceGemmChecks.EmptySumOnlyScalesC(IlgpuTestDevices.Cpu, OnCpu.Value);

    [Fact]
    public void EmptyOutputWritesNothingOnCpuAccelerator() => DeviceGemmChecks.EmptyOutputWritesNothing(IlgpuTestDevices.Cpu, OnCpu.Value);

    [Fact]
    public void WorksOnSubViewsOnCpuAccelerator() => DeviceGemmChecks.WorksOnSubViews(IlgpuTestDevices.Cpu, OnCpu.Value);

    [Fact]
    public void RejectsBadSizesBeforeLaunchOnCpuAccelerator() => DeviceGemmChecks.RejectsBadSizesBeforeLaunch(IlgpuTestDevices.Cpu, OnCpu.Value);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(AllShapes))]
    public void MatchesReferenceOnCuda(int m, int n, int k, bool transposeA, bool transposeB) =>
        DeviceGemmChecks.MatchesReference(IlgpuTestDevices.Cuda, OnCuda.Value, m, n, k, transposeA, transposeB, 1.5f, -0.75f);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(AlphasAndBetas))]
    public void HonoursAlphaAndBetaOnCuda(float alpha, float beta) =>
        DeviceGemmChecks.HonoursAlphaAndBeta(IlgpuTestDevices.Cuda, OnCuda.Value, alpha, beta);

    [GpuFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void HandlesDegenerateCasesOnCuda()
    {
        DeviceGemmChecks.BetaZeroOverwritesNaN(IlgpuTestDevices.Cuda, OnCuda.Value);
        DeviceGemmChecks.AlphaZeroOnlyScalesC(IlgpuTestDevices.Cuda, OnCuda.Value);
        DeviceGemmChecks.EmptySumOnlyScalesC(IlgpuTestDevices.Cuda, OnCuda.Value);
        DeviceGemmChecks.EmptyOutputWritesNothing(IlgpuTestDevices.Cuda, OnCuda.Value);
    }

    [GpuFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void WorksOnSubViewsAndRejectsBadSizesOnCuda()
    {
        DeviceGemmChecks.WorksOnSubViews(IlgpuTestDevices.Cuda, OnCuda.Value);
        DeviceGemmChecks.RejectsBadSizesBeforeLaunch(IlgpuTestDevices.Cuda, OnCuda.Value);
    }
}
