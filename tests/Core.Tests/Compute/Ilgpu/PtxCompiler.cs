using System.Reflection;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// Compiles a kernel to PTX without a GPU. The CPU accelerator runs a kernel's .NET code as it is, so it accepts
/// things the CUDA compiler rejects (a method ILGPU cannot translate, a bad argument type); compiling for an H100
/// here catches those in every CI run, not only on machines with a GPU.
/// </summary>
internal static class PtxCompiler
{
    private static readonly Lazy<PTXBackend> Backend = new(() =>
        new PTXBackend(IlgpuTestDevices.Context, CudaArchitecture.SM_90, CudaInstructionSet.ISA_80, nvvmAPI: null!));

    /// <summary>The PTX of a static kernel method of <paramref name="owner"/>; throws what ILGPU's compiler throws.</summary>
    public static string Compile(Type owner, string kernel, bool explicitlyGrouped = false)
    {
        var method = owner.GetMethod(kernel, BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new ArgumentException($"{owner.Name} has no static method {kernel}");
        var entry = explicitlyGrouped
            ? EntryPointDescription.FromExplicitlyGroupedKernel(method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(method);
        var compiled = (PTXCompiledKernel)Backend.Value.Compile(entry, new KernelSpecialization());
        return compiled.PTXAssembly;
    }
}
