using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// cuBLAS behind <see cref="IDeviceGemm"/>: the row-major-through-column-major operand swap, checked against the
/// same reference and cases as the tiled kernel. Needs a GPU with a loadable libcublas; elsewhere only the refusal
/// to start on a non-CUDA accelerator runs.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class CuBlasGemmTests
{
    public static TheoryData<int, int, int, bool, bool> AllShapes() =>
        DeviceGemmChecks.WithTransposes([.. DeviceGemmChecks.SmallShapes, .. DeviceGemmChecks.LargeShapes]);

    public static TheoryData<float, float> AlphasAndBetas() => new() { { 1f, 0f }, { 1f, 1f }, { -2f, 1f }, { 0.5f, 2f }, { 0f, 0.5f }, { 0f, 0f } };

    [Fact]
    public void RefusesANonCudaAcceleratorAndSaysWhy()
    {
        Assert.Null(CuBlasGemm.TryCreate(IlgpuTestDevices.Cpu, out var why));
        Assert.Contains("CUDA", why);
    }

    [CuBlasTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(AllShapes))]
    public void MatchesReference(int m, int n, int k, bool transposeA, bool transposeB) =>
        DeviceGemmChecks.MatchesReference(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm, m, n, k, transposeA, transposeB, 1.5f, -0.75f);

    [CuBlasTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(AlphasAndBetas))]
    public void HonoursAlphaAndBeta(float alpha, float beta) =>
        DeviceGemmChecks.HonoursAlphaAndBeta(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm, alpha, beta);

    [CuBlasFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void HandlesDegenerateCases()
    {
        Assert.Equal("cuBLAS", CuBlasOnCuda.Gemm.Name);
        DeviceGemmChecks.BetaZeroOverwritesNaN(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm);
        DeviceGemmChecks.AlphaZeroOnlyScalesC(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm);
        DeviceGemmChecks.EmptySumOnlyScalesC(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm);
        DeviceGemmChecks.EmptyOutputWritesNothing(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm);
    }

    [CuBlasFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void WorksOnSubViewsAndRejectsBadSizes()
    {
        DeviceGemmChecks.WorksOnSubViews(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm);
        DeviceGemmChecks.RejectsBadSizesBeforeLaunch(IlgpuTestDevices.Cuda, CuBlasOnCuda.Gemm);
    }
}

/// <summary>One cuBLAS GEMM on the test CUDA accelerator for the run, or why there is none.</summary>
internal static class CuBlasOnCuda
{
    private static readonly Lazy<(CuBlasGemm? Gemm, string Why)> Shared = new(() =>
    {
        if (IlgpuTestDevices.NoCudaReason is { } noCuda)
        {
            return (null, $"needs a CUDA GPU: {noCuda}");
        }

        var gemm = CuBlasGemm.TryCreate(IlgpuTestDevices.Cuda, out var why);
        return (gemm, why);
    });

    public static CuBlasGemm Gemm => Shared.Value.Gemm ?? throw new InvalidOperationException(Shared.Value.Why);

    /// <summary>Why cuBLAS tests skip, or null when they run.</summary>
    public static string? SkipReason => Shared.Value.Gemm is null ? Shared.Value.Why : null;
}

/// <summary>A fact that needs cuBLAS on a CUDA GPU; skipped with the reason (no GPU, or no libcublas) otherwise.</summary>
public sealed class CuBlasFactAttribute : FactAttribute
{
    public CuBlasFactAttribute()
    {
        if (CuBlasOnCuda.SkipReason is { } why)
        {
            Skip = why;
        }
    }
}

/// <summary>A theory that needs cuBLAS, as <see cref="CuBlasFactAttribute"/>.</summary>
public sealed class CuBlasTheoryAttribute : TheoryAttribute
{
    public CuBlasTheoryAttribute()
    {
        if (CuBlasOnCuda.SkipReason is { } why)
        {
            Skip = why;
        }
    }
}
