using Distributed.Core.Compute;
using Distributed.Core.Compute.Ilgpu;
using ILGPU.Runtime;

namespace Distributed.Core.Tests.Compute.Ilgpu;

// The backend-agnostic kernel tests, run on the ILGPU backend over ILGPU's CPU accelerator: the same kernels a GPU
// runs, barriers and shared memory included, so CI checks them without one.

/// <summary>Hands each test fresh backends (on the shared CPU accelerator unless told) and frees their device memory afterwards.</summary>
internal sealed class IlgpuBackends : IDisposable
{
    private readonly List<IlgpuBackend> _created = [];

    /// <summary>A backend on the CPU accelerator with host semantics (<see cref="HostSyncedBackend"/>).</summary>
    public IComputeBackend Create(IlgpuGemmChoice gemm = IlgpuGemmChoice.Auto) => Create(IlgpuTestDevices.Cpu, gemm);

    /// <summary>A backend on <paramref name="accelerator"/> with host semantics (<see cref="HostSyncedBackend"/>).</summary>
    public IComputeBackend Create(Accelerator accelerator, IlgpuGemmChoice gemm = IlgpuGemmChoice.Auto) =>
        new HostSyncedBackend(CreateDeviceResident(accelerator, gemm));

    /// <summary>A plain backend, as training uses it: the host sees only what it uploads and downloads.</summary>
    public IlgpuBackend CreateDeviceResident(Accelerator accelerator, IlgpuGemmChoice gemm = IlgpuGemmChoice.Auto)
    {
        var backend = new IlgpuBackend(accelerator, gemm);
        _created.Add(backend);
        return backend;
    }

    public void Dispose()
    {
        foreach (var backend in _created)
        {
            backend.Dispose();
        }
    }
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuElementwiseTests : ElementwiseTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuLossKernelTests : LossKernelTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuGemmTests : GemmTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create(IlgpuGemmChoice.Tiled);

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuConvTests : ConvTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create(IlgpuGemmChoice.Tiled);

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuPoolTests : PoolTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuActivationTests : ActivationTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}

[Collection(IlgpuCollection.Name)]
public sealed class IlgpuAvgPoolTests : AvgPoolTests, IDisposable
{
    private readonly IlgpuBackends _backends = new();

    protected override IComputeBackend CreateBackend() => _backends.Create();

    public void Dispose() => _backends.Dispose();
}
