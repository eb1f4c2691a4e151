using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>Whether this machine has a CUDA GPU that ILGPU can run kernels on, asked once and released at once.</summary>
internal static class CudaProbe
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        using var context = IlgpuDevices.CreateContext();
        using var accelerator = IlgpuDevices.TryCreateCuda(context, out var why);
        return accelerator is null ? why : null;
    });

    /// <summary>Why there is no usable CUDA GPU, or null when there is one.</summary>
    public static string? NoCudaReason => Reason.Value;
}

/// <summary>A fact about a machine without a CUDA GPU (the fallback, the refusal); skipped, saying so, where one is present.</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (CudaProbe.NoCudaReason is null)
        {
            Skip = "a CUDA GPU is present, so this machine cannot show what happens without one";
        }
    }
}

/// <summary>
/// Tests that run the ILGPU CPU accelerator: its group of 256 host threads already takes every core, so these run
/// one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IlgpuCpuCollection
{
    public const string Name = "ilgpu-cpu";
}
