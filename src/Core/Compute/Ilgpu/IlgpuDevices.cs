using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Where ILGPU kernels can run: CUDA devices, and a CPU accelerator shaped like a small GPU (groups of up to 256
/// threads, warps of 32) so that every kernel, barriers and shared memory included, runs in CI without a GPU.
/// </summary>
public static class IlgpuDevices
{
    /// <summary>Threads per group every kernel is written for; CUDA allows 1,024, so this fits every NVIDIA GPU.</summary>
    public const int GroupSize = 256;

    /// <summary>
    /// The CPU accelerator's simulated device. ILGPU's default CPU device allows only 16 threads per group; this
    /// one allows <see cref="GroupSize"/>, one simulated multiprocessor so a test does not start hundreds of threads.
    /// </summary>
    public static CPUDevice CpuDevice { get; } = new(numThreadsPerWarp: 32, numWarpsPerMultiprocessor: GroupSize / 32, numMultiprocessors: 1);

    /// <summary>An ILGPU context that knows CUDA devices (if a driver is installed) and <see cref="CpuDevice"/>.</summary>
    public static Context CreateContext() =>
        Context.Create(builder => builder.Cuda().CPU(CpuDevice).EnableAlgorithms().Math(MathMode.Default).Optimize(OptimizationLevel.O1));

    /// <summary>The simulated GPU on the host's cores.</summary>
    public static Accelerator CreateCpuAccelerator(Context context) => context.GetCPUDevice(0).CreateAccelerator(context);

    /// <summary>
    /// The first CUDA device that runs a smoke kernel correctly, or null with the reason in <paramref name="why"/>:
    /// no driver, no device, or a device that cannot run ILGPU's code.
    /// </summary>
    public static Accelerator? TryCreateCuda(Context context, out string why)
    {
        var devices = context.GetCudaDevices();
        if (devices.Count == 0)
        {
            why = "ILGPU found no CUDA device (no NVIDIA driver, or no GPU visible to this process)";
            return null;
        }

        Accelerator? accelerator = null;
        try
        {
            accelerator = devices[0].CreateAccelerator(context);
            if (SmokeTest(accelerator) is { } failure)
            {
                accelerator.Dispose();
                why = $"CUDA device {devices[0].Name} failed the smoke kernel: {failure}";
                return null;
            }

            why = "";
            return accelerator;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            accelerator?.Dispose();
            why = $"CUDA device {devices[0].Name} could not run a kernel: {ex.Message.Split('\n')[0]}";
            return null;
        }
    }

    /// <summary>Runs one small kernel and reads it back; null when the answer is right, else what went wrong.</summary>
    public static string? SmokeTest(Accelerator accelerator)
    {
        const int n = 1000;
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(FillWithSquares);
        using var buffer = accelerator.Allocate1D<float>(n);
        kernel(n, buffer.View);
        accelerator.Synchronize();
        var values = buffer.GetAsArray1D();
        for (var i = 0; i < n; i++)
        {
            if (values[i] != (float)i * i)
            {
                return $"element {i} is {values[i]}, expected {(float)i * i}";
            }
        }

        return null;
    }

    private static void FillWithSquares(Index1D i, ArrayView<float> values) => values[i] = (float)(int)i * (int)i;
}
