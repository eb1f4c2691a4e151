using System.Diagnostics;
using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>One device SGEMM shape: C (m×n) = op(A)·op(B), k deep.</summary>
public sealed record DeviceGemmShape(string Name, int M, int N, int K, bool TransposeA, bool TransposeB);

/// <summary>One measurement: milliseconds per multiply and GFLOP/s, or why the GEMM could not run.</summary>
public sealed record DeviceGemmTiming(DeviceGemmShape Shape, string Gemm, double Ms, double Gflops, string? Unavailable = null);

/// <summary>
/// Times the tiled kernel and cuBLAS (where it loads) on an accelerator, so a GPU session can see what each is
/// worth on the shapes training runs: the device runs convolution as one GEMM over the whole batch.
/// </summary>
public static class DeviceGemmBenchmark
{
    /// <summary>The models' device GEMMs at batch 128 and 1,024 (cnn on 3×32×32), and two square ones.</summary>
    public static IReadOnlyList<DeviceGemmShape> ModelShapes { get; } =
    [
        new("mlp fc1 forward b128", 128, 256, 784, false, true),
        new("mlp fc1 weight grad b128", 256, 784, 128, true, false),
        new("mlp fc2 forward b128", 128, 256, 256, false, true),
        new("mlp fc1 forward b1024", 1024, 256, 784, false, true),
        new("mlp fc1 weight grad b1024", 256, 784, 1024, true, false),
        new("cnn conv1 forward b128", 32, 128 * 1024, 27, false, false),
        new("cnn conv1 weight grad b128", 32, 27, 128 * 1024, false, true),
        new("cnn conv2 forward b128", 64, 128 * 256, 288, false, false),
        new("cnn conv2 weight grad b128", 64, 288, 128 * 256, false, true),
        new("cnn conv2 input grad b128", 288, 128 * 256, 64, true, false),
        new("square 1024", 1024, 1024, 1024, false, false),
        new("square 4096", 4096, 4096, 4096, false, false),
    ];

    /// <summary>Each shape on each available GEMM: one warm-up call, then calls for about <paramref name="perShape"/>.</summary>
    public static IEnumerable<DeviceGemmTiming> Run(Accelerator accelerator, IEnumerable<DeviceGemmShape> shapes, TimeSpan perShape)
    {
        using var tiled = new TiledGemm(accelerator);
        using var cuBlas = CuBlasGemm.TryCreate(accelerator, out var noCuBlas);
        foreach (var shape in shapes)
        {
            yield return Time(accelerator, tiled, shape, perShape);
            yield return cuBlas is null
                ? new DeviceGemmTiming(shape, "cuBLAS", double.NaN, double.NaN, noCuBlas)
                : Time(accelerator, cuBlas, shape, perShape);
        }
    }

    private static DeviceGemmTiming Time(Accelerator accelerator, IDeviceGemm gemm, DeviceGemmShape s, TimeSpan duration)
    {
        var rng = new Rng(1);
        using var a = accelerator.Allocate1D(RandomValues(rng, (long)s.M * s.K));
        using var b = accelerator.Allocate1D(RandomValues(rng, (long)s.K * s.N));
        using var c = accelerator.Allocate1D<float>((long)s.M * s.N);
        var stream = accelerator.DefaultStream;
        void Call() => gemm.Multiply(stream, s.TransposeA, s.TransposeB, s.M, s.N, s.K, 1f, a.View, b.View, 0f, c.View);

        Call();
        stream.Synchronize();
        var calls = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            // Queue a few calls between waits, as training does, so launch latency overlaps the previous kernel.
            for (var i = 0; i < 4; i++)
            {
                Call();
            }

            stream.Synchronize();
            calls += 4;
        }
        while (clock.Elapsed < duration);
        var ms = clock.Elapsed.TotalMilliseconds / calls;
        return new DeviceGemmTiming(s, gemm.Name, ms, 2.0 * s.M * s.N * s.K / (ms / 1000) / 1e9);
    }

    private static float[] RandomValues(Rng rng, long length)
    {
        var values = new float[length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)rng.NextNormal();
        }

        return values;
    }
}
