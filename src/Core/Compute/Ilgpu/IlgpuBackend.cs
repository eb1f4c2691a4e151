using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The backend on an ILGPU accelerator: a CUDA GPU, or ILGPU's CPU accelerator, which runs the same kernels on the
/// host's cores (slowly) so that CI checks them without a GPU. Parameters, gradients, optimizer state and
/// activations live in device memory for the whole run (<see cref="DeviceTensors"/>); per step only the batch goes in
/// and, in a data-parallel job, the gradient shards come out and go back for the collectives. Every kernel is loaded
/// once, here; sizes are checked on the host before each launch, because an out-of-bounds access on the CPU
/// accelerator ends the process. Calls may come from two threads at once (a data-parallel step downloads a finished
/// gradient bucket while backward goes on), so each takes a lock and binds the accelerator to its thread.
/// </summary>
public sealed partial class IlgpuBackend : IComputeBackend, IDisposable
{
    private readonly Context? _ownedContext;
    private readonly Accelerator _accelerator;
    private readonly bool _ownsAccelerator;
    private readonly AcceleratorStream _stream;
    private readonly DeviceTensors _tensors;
    private readonly Lock _gate = new();
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _placeholder;
    private int _boundThread;

    /// <summary>A backend on <paramref name="accelerator"/>, which the caller keeps and disposes.</summary>
    public IlgpuBackend(Accelerator accelerator, IlgpuGemmChoice gemm = IlgpuGemmChoice.Auto)
        : this(null, accelerator, ownsAccelerator: false, gemm)
    {
    }

    private IlgpuBackend(Context? ownedContext, Accelerator accelerator, bool ownsAccelerator, IlgpuGemmChoice gemm)
    {
        _ownedContext = ownedContext;
        _accelerator = accelerator;
        _ownsAccelerator = ownsAccelerator;
        _boundThread = Environment.CurrentManagedThreadId;
        _stream = accelerator.DefaultStream;
        _tensors = new DeviceTensors(accelerator, _stream);
        _placeholder = accelerator.Allocate1D<float>(1);
        LoadElementwise();
        LoadLosses();
        LoadUpdates();
        LoadLayers(gemm);
        LoadActivations();
    }

    /// <summary>A backend that owns its context and accelerator (the one <see cref="ComputeDevices"/> hands out).</summary>
    internal static IlgpuBackend Owning(Context context, Accelerator accelerator, IlgpuGemmChoice gemm = IlgpuGemmChoice.Auto) =>
        new(context, accelerator, ownsAccelerator: true, gemm);

    public string Name => $"{(_accelerator is CudaAccelerator ? "cuda" : "ilgpu-cpu")} ({_accelerator.Name}, {GemmName} GEMM)";

    /// <summary>Device bytes held for tensors.</summary>
    public long DeviceBytes => _tensors.Bytes;

    /// <summary>Floats copied host to device and device to host so far: what a step costs in transfers.</summary>
    public (long Uploaded, long Downloaded) FloatsTransferred => (_tensors.FloatsUploaded, _tensors.FloatsDownloaded);

    public void Upload(Tensor t)
    {
        using var scope = Enter();
        _tensors.Upload(t);
    }

    public void Download(Tensor t)
    {
        using var scope = Enter();
        _tensors.Download(t);
    }

    /// <summary>Waits until every queued kernel and copy has finished.</summary>
    public void Synchronize()
    {
        using var scope = Enter();
        _tensors.Synchronize();
    }

    public void Dispose()
    {
        using (Enter())
        {
            _tensors.Synchronize();
            DisposeLayers();
            DisposeLosses();
            _placeholder.Dispose();
            _tensors.Dispose();
        }

        if (_ownsAccelerator)
        {
            _accelerator.Dispose();
        }

        _ownedContext?.Dispose();
    }

    private ArrayView<float> View(Tensor t) => _tensors.View(t);

    /// <summary>The view of an optional state tensor, or a one-element placeholder the kernel will not touch.</summary>
    private ArrayView<float> ViewOrPlaceholder(Tensor? t) => t is null ? _placeholder.View : _tensors.View(t);

    private Scope Enter()
    {
        _gate.Enter();
        var thread = Environment.CurrentManagedThreadId;
        if (thread != _boundThread)
        {
            // CUDA keeps the current context per thread; a call from a new thread must make ours current first.
            _accelerator.Bind();
            _boundThread = thread;
        }

        return new Scope(_gate);
    }

    private readonly ref struct Scope(Lock gate)
    {
        public void Dispose() => gate.Exit();
    }
}

/// <summary>Which SGEMM the ILGPU backend runs: cuBLAS where it loads, else the tiled kernel; or one of them by force.</summary>
public enum IlgpuGemmChoice
{
    Auto,
    Tiled,
    CuBlas,
}
