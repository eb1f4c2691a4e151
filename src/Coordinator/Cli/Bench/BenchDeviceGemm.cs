using System.Globalization;
using Distributed.Core.Compute;
using Distributed.Core.Compute.Ilgpu;

namespace Distributed.Coordinator.Cli;

/// <summary>`bench gemm --device cuda|ilgpu-cpu`: the ILGPU backend's two SGEMMs, side by side, on the device's shapes.</summary>
internal static class BenchDeviceGemm
{
    public static void Run(string device, string? only, TimeSpan perShape, string? json, TextWriter output)
    {
        using var context = IlgpuDevices.CreateContext();
        using var accelerator = device == "cuda"
            ? IlgpuDevices.TryCreateCuda(context, out var why) ?? throw new DeviceUnavailableException($"--device cuda: {why}")
            : IlgpuDevices.CreateCpuAccelerator(context);
        var shapes = DeviceGemmBenchmark.ModelShapes.Where(s => only is null || s.Name.Contains(only, StringComparison.OrdinalIgnoreCase)).ToArray();
        if (shapes.Length == 0)
        {
            throw new UsageException($"no shape's name contains '{only}' (shapes: {string.Join(", ", DeviceGemmBenchmark.ModelShapes.Select(s => s.Name))})");
        }

        output.WriteLine($"device: {accelerator.Name} ({accelerator.AcceleratorType})");
        output.WriteLine($"{"shape",-28} {"m×n×k",-20} {"op",3} {"gemm",-7} {"ms",9} {"GFLOP/s",9}");
        var rows = new List<object>();
        foreach (var t in DeviceGemmBenchmark.Run(accelerator, shapes, perShape))
        {
            var s = t.Shape;
            var op = $"{(s.TransposeA ? 'T' : 'N')}{(s.TransposeB ? 'T' : 'N')}";
            output.WriteLine(t.Unavailable is { } reason
                ? $"{s.Name,-28} {$"{s.M}×{s.N}×{s.K}",-20} {op,3} {t.Gemm,-7} not measured: {reason}"
                : string.Create(CultureInfo.InvariantCulture, $"{s.Name,-28} {$"{s.M}×{s.N}×{s.K}",-20} {op,3} {t.Gemm,-7} {t.Ms,9:0.000} {t.Gflops,9:0.0}"));
            rows.Add(new { Shape = s.Name, s.M, s.N, s.K, Op = op, t.Gemm, Ms = double.IsNaN(t.Ms) ? (double?)null : t.Ms, Gflops = double.IsNaN(t.Gflops) ? (double?)null : t.Gflops, t.Unavailable });
        }

        if (json is not null)
        {
            JsonFiles.Write(json, new { Device = accelerator.Name, Rows = rows });
        }
    }
}
