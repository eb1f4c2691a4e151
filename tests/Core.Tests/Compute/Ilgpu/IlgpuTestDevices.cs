using Distributed.Core.Compute.Ilgpu;
using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// One ILGPU context for the test run, with the CPU accelerator every kernel test uses and the CUDA accelerator
/// the Gpu-trait tests use where a GPU is present. Tests that use them belong to <see cref="IlgpuCollection"/>,
/// which runs them one at a time: a kernel on the CPU accelerator already occupies every core.
/// </summary>
public static class IlgpuTestDevices
{
    private static readonly Lazy<Context> SharedContext = new(IlgpuDevices.CreateContext);
    private static readonly Lazy<Accelerator> SharedCpu = new(() => IlgpuDevices.CreateCpuAccelerator(SharedContext.Value));
    private static readonly Lazy<(Accelerator? Accelerator, string Why)> SharedCuda = new(() =>
    {
        var accelerator = IlgpuDevices.TryCreateCuda(SharedContext.Value, out var why);
        return (accelerator, why);
    });

    public static Context Context => SharedContext.Value;

    public static Accelerator Cpu => SharedCpu.Value;

    /// <summary>The CUDA accelerator; only <see cref="GpuFactAttribute"/> tests ask for it.</summary>
    public static Accelerator Cuda => SharedCuda.Value.Accelerator ?? throw new InvalidOperationException(SharedCuda.Value.Why);

    /// <summary>Why there is no CUDA accelerator, or null when there is one.</summary>
    public static string? NoCudaReason => SharedCuda.Value.Accelerator is null ? SharedCuda.Value.Why : null;
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IlgpuCollection
{
    public const string Name = "ilgpu";
}

/// <summary>A fact that needs a CUDA GPU: trait Category=Gpu, skipped (saying why) where ILGPU finds none.</summary>
public sealed class GpuFactAttribute : FactAttribute
{
    public GpuFactAttribute()
    {
        if (IlgpuTestDevices.NoCudaReason is { } why)
        {
            Skip = $"needs a CUDA GPU: {why}";
        }
    }
}

/// <summary>A theory that needs a CUDA GPU, as <see cref="GpuFactAttribute"/>.</summary>
public sealed class GpuTheoryAttribute : TheoryAttribute
{
    public GpuTheoryAttribute()
    {
        if (IlgpuTestDevices.NoCudaReason is { } why)
        {
            Skip = $"needs a CUDA GPU: {why}";
        }
    }
}
