using Distributed.Core.Compute;
using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Tests.Compute.Ilgpu;

// The backend-agnostic kernel tests, run on the ILGPU backend over ILGPU's CPU accelerator: the same kernels a GPU
// runs, barriers and shared memory included, so CI checks them without one.

/// <summary>Hands each test a fresh backend on the shared CPU accelerator and frees its device memory afterwards.</summary>
internal sealed class IlgpuBackends : IDisposable
{
    private readonly List<IlgpuBackend> _created = [];

    public IComputeBackend Create(IlgpuGemmChoice gemm = IlgpuGemmChoice.Auto)
    {
        var backend = new IlgpuBackend(IlgpuTestDevices.Cpu, gemm);
        _created.Add(backend);
        return new HostSyncedBackend(backend);
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
