using Distributed.Core.Compute.Cpu;
using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Core.Compute;

/// <summary>
/// Picks the backend for <c>--device</c>: <c>cpu</c>; <c>cuda</c>, the first NVIDIA GPU that passes a smoke kernel, or a
/// one-line reason why none does; <c>auto</c>, CUDA when that works and the CPU otherwise; <c>ilgpu-cpu</c>, the GPU
/// code path on ILGPU's CPU accelerator (slow; it checks the device path end to end on a machine without a GPU).
/// </summary>
public static class ComputeDevices
{
    public static IReadOnlyList<string> Names { get; } = ["auto", "cuda", "cpu", "ilgpu-cpu"];

    /// <summary>The backend for <paramref name="device"/> and a line saying what was chosen (and, for auto, why).</summary>
    public static IComputeBackend Create(string device, int cpuThreads, out string report)
    {
        switch (device)
        {
            case "cpu":
                var cpu = new CpuBackend(cpuThreads);
                report = $"device: {cpu.Name}";
                return cpu;
            case "cuda":
                return TryCuda(out report, out var why) ?? throw new DeviceUnavailableException($"--device cuda: {why}");
            case "auto":
                if (TryCuda(out report, out var reason) is { } gpu)
                {
                    return gpu;
                }

                var fallback = new CpuBackend(cpuThreads);
                report = $"device: {fallback.Name}; no GPU used: {reason}";
                return fallback;
            case "ilgpu-cpu":
                var context = IlgpuDevices.CreateContext();
                var backend = IlgpuBackend.Owning(context, IlgpuDevices.CreateCpuAccelerator(context));
                report = $"device: {backend.Name}";
                return backend;
            default:
                throw new ArgumentException($"unknown device '{device}' (expected one of: {string.Join(", ", Names)})");
        }
    }

    private static IlgpuBackend? TryCuda(out string report, out string why)
    {
        var context = IlgpuDevices.CreateContext();
        if (IlgpuDevices.TryCreateCuda(context, out why) is { } accelerator)
        {
            var backend = IlgpuBackend.Owning(context, accelerator);
            report = $"device: {backend.Name}";
            return backend;
        }

        context.Dispose();
        report = "";
        return null;
    }
}

/// <summary>The device asked for cannot be used; the message says why.</summary>
public sealed class DeviceUnavailableException(string message) : Exception(message);
