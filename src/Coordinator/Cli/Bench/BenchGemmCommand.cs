using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Tensors;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `bench gemm`: GFLOP/s of the CPU backend's SGEMM on the shapes the bundled models run, against one core's
/// measured FMA peak, so a reader sees how close the kernel gets to the hardware.
/// </summary>
internal static class BenchGemmCommand
{
    /// <summary>
    /// The models' GEMMs at batch 128: the mlp's (784-256-256-10) over the whole batch, the cnn's (on 3×32×32) per
    /// sample, as the backend runs convolution one sample at a time; plus two square ones.
    /// </summary>
    private static readonly GemmShape[] ModelShapes =
    [
        new("mlp fc1 forward", 128, 256, 784, false, true),
        new("mlp fc1 weight grad", 256, 784, 128, true, false),
        new("mlp fc2 forward", 128, 256, 256, false, true),
        new("mlp fc2 input grad", 128, 256, 256, false, false),
        new("cnn conv1 forward", 32, 1024, 27, false, false),
        new("cnn conv1 weight grad", 32, 27, 1024, false, true),
        new("cnn conv2 forward", 64, 256, 288, false, false),
        new("cnn conv2 weight grad", 64, 288, 256, false, true),
        new("cnn conv2 input grad", 288, 256, 64, true, false),
        new("square 512", 512, 512, 512, false, false),
        new("square 1024", 1024, 1024, 1024, false, false),
    ];

    public static Command Create(TextWriter output)
    {
        var threads = new Option<string>("--threads") { Description = "comma-separated thread counts", DefaultValueFactory = _ => "1" };
        var seconds = new Option<double>("--seconds") { Description = "time per shape and thread count", DefaultValueFactory = _ => 0.5 };
        var json = new Option<string?>("--json") { Description = "write [{shape, threads, ms, gflops, peak_fraction}] to this file" };
        var device = new Option<string>("--device") { Description = "cpu | cuda | ilgpu-cpu: the CPU SGEMM, or the device's tiled kernel and cuBLAS", DefaultValueFactory = _ => "cpu" };
        var only = new Option<string?>("--only") { Description = "only the shapes whose name contains this text" };
        var command = new Command("gemm", "GFLOP/s of the SGEMMs on the models' shapes: the CPU's against the measured FMA peak, or a device's tiled kernel and cuBLAS.") { threads, seconds, json, device, only };
        command.SetAction(r =>
        {
            var threadCounts = ParseThreads(r.GetValue(threads)!);
            var perShape = TimeSpan.FromSeconds(r.GetValue(seconds));
            if (perShape <= TimeSpan.Zero || perShape > TimeSpan.FromMinutes(5))
            {
                throw new UsageException($"--seconds must be in (0, 300], got {perShape.TotalSeconds}");
            }

            var filter = r.GetValue(only);
            var name = r.GetValue(device)!;
            if (name is "cuda" or "ilgpu-cpu")
            {
                BenchDeviceGemm.Run(name, filter, perShape, r.GetValue(json), output);
                return CliApp.Ok;
            }

            if (name != "cpu")
            {
                throw new UsageException($"unknown device '{name}' (expected cpu, cuda or ilgpu-cpu)");
            }

            var peak = FmaPeak.MeasureGflops(TimeSpan.FromSeconds(0.5));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"kernel {FmaPeak.KernelDescription}; one core's FMA peak {peak:0.0} GFLOP/s"));
            output.WriteLine($"{"shape",-22} {"m×n×k",-18} {"op",3} {"threads",7} {"ms",9} {"GFLOP/s",8} {"of peak",7}");
            var rows = new List<object>();
            foreach (var shape in ModelShapes.Where(s => filter is null || s.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var t in threadCounts)
                {
                    var ms = Time(shape, new CpuBackend(t), perShape);
                    var gflops = 2.0 * shape.M * shape.N * shape.K / (ms / 1000) / 1e9;
                    var fraction = gflops / (peak * t);
                    var op = $"{(shape.TransposeA ? 'T' : 'N')}{(shape.TransposeB ? 'T' : 'N')}";
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape.Name,-22} {$"{shape.M}×{shape.N}×{shape.K}",-18} {op,3} {t,7} {ms,9:0.000} {gflops,8:0.0} {fraction,7:P0}"));
                    rows.Add(new { Shape = shape.Name, shape.M, shape.N, shape.K, Op = op, Threads = t, Ms = ms, Gflops = gflops, PeakFraction = fraction });
                }
            }

            if (r.GetValue(json) is { } path)
            {
                JsonFiles.Write(path, new { PeakGflopsPerCore = peak, Rows = rows });
            }

            return CliApp.Ok;
        });
        return command;
    }

    internal static int[] ParseThreads(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var t) || t < 1 || t > 1024)
            {
                throw new UsageException($"--threads takes thread counts between 1 and 1024 separated by commas, got '{text}'");
            }

            counts.Add(t);
        }

        return counts.Count > 0 ? [.. counts] : throw new UsageException("--threads is empty");
    }

    /// <summary>Mean milliseconds per multiply after one warm-up call, over about <paramref name="duration"/>.</summary>
    private static double Time(GemmShape s, CpuBackend backend, TimeSpan duration)
    {
        var rng = new Rng(1);
        var a = Random(rng, s.M * s.K);
        var b = Random(rng, s.K * s.N);
        var c = new Tensor(s.M * s.N);
        backend.Gemm(s.TransposeA, s.TransposeB, s.M, s.N, s.K, 1f, a, b, 0f, c);
        var calls = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            backend.Gemm(s.TransposeA, s.TransposeB, s.M, s.N, s.K, 1f, a, b, 0f, c);
            calls++;
        }
        while (clock.Elapsed < duration);
        return clock.Elapsed.TotalMilliseconds / calls;
    }

    private static Tensor Random(Rng rng, int length)
    {
        var t = new Tensor(length);
        var span = t.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (float)rng.NextNormal();
        }

        return t;
    }

    private sealed record GemmShape(string Name, int M, int N, int K, bool TransposeA, bool TransposeB);
}
