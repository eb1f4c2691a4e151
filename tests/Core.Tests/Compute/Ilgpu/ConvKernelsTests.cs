using Distributed.Core.Compute;
using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// ConvKernels against <see cref="ConvLayoutReference"/> on the CPU accelerator, and the same cases on CUDA where
/// there is a GPU. Copies and permutes must match exactly; col2im too, since it adds the same terms in the same order.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class ConvKernelsTests
{
    private static readonly Lazy<Device> Cpu = new(() => new Device(IlgpuTestDevices.Cpu));
    private static readonly Lazy<Device> Cuda = new(() => new Device(IlgpuTestDevices.Cuda));

    /// <summary>
    /// batch, channels, height, width, kernel h, kernel w, stride, padding: the geometries of ConvTests, then a
    /// rectangular kernel, a stride past the kernel (inputs no window reads), and padding as wide as the kernel.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, int, int> Geometries => new()
    {
        { 2, 2, 5, 7, 3, 3, 2, 1 },
        { 2, 2, 5, 7, 3, 3, 1, 0 },
        { 1, 1, 4, 4, 1, 1, 1, 0 },
        { 3, 3, 6, 5, 3, 3, 1, 1 },
        { 2, 2, 7, 6, 2, 2, 2, 0 },
        { 1, 2, 5, 5, 5, 5, 1, 2 },
        { 2, 1, 9, 4, 3, 3, 3, 1 },
        { 1, 3, 8, 8, 4, 4, 2, 1 },
        { 2, 2, 6, 9, 2, 3, 1, 1 },
        { 2, 1, 7, 7, 1, 2, 3, 0 },
        { 1, 2, 3, 4, 2, 2, 1, 2 },
    };

    /// <summary>channels, batch, plane.</summary>
    public static TheoryData<int, int, int> Layouts => new()
    {
        { 3, 2, 35 },
        { 1, 1, 1 },
        { 5, 4, 16 },
        { 2, 3, 257 },
    };

    /// <summary>channels, length: shorter than a group, a group exactly, and rows with a ragged last stride.</summary>
    public static TheoryData<int, int> RowSumShapes => new()
    {
        { 1, 1 },
        { 3, 255 },
        { 2, 256 },
        { 4, 1000 },
        { 2, 5003 },
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Im2ColMatchesTheReference(int batch, int channels, int height, int width, int kernelH, int kernelW, int stride, int padding) =>
        Im2ColCase(Cpu.Value, new ConvGeometry(channels, height, width, kernelH, kernelW, stride, padding), batch);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Geometries))]
    public void Im2ColMatchesTheReferenceOnCuda(int batch, int channels, int height, int width, int kernelH, int kernelW, int stride, int padding) =>
        Im2ColCase(Cuda.Value, new ConvGeometry(channels, height, width, kernelH, kernelW, stride, padding), batch);

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Col2ImMatchesTheReference(int batch, int channels, int height, int width, int kernelH, int kernelW, int stride, int padding) =>
        Col2ImCase(Cpu.Value, new ConvGeometry(channels, height, width, kernelH, kernelW, stride, padding), batch);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Geometries))]
    public void Col2ImMatchesTheReferenceOnCuda(int batch, int channels, int height, int width, int kernelH, int kernelW, int stride, int padding) =>
        Col2ImCase(Cuda.Value, new ConvGeometry(channels, height, width, kernelH, kernelW, stride, padding), batch);

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Col2ImIsTheAdjointOfIm2Col(int batch, int channels, int height, int width, int kernelH, int kernelW, int stride, int padding) =>
        AdjointCase(Cpu.Value, new ConvGeometry(channels, height, width, kernelH, kernelW, stride, padding), batch);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Geometries))]
    public void Col2ImIsTheAdjointOfIm2ColOnCuda(int batch, int channels, int height, int width, int kernelH, int kernelW, int stride, int padding) =>
        AdjointCase(Cuda.Value, new ConvGeometry(channels, height, width, kernelH, kernelW, stride, padding), batch);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void PermutesMatchTheReference(int channels, int batch, int plane) => PermuteCase(Cpu.Value, channels, batch, plane);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Layouts))]
    public void PermutesMatchTheReferenceOnCuda(int channels, int batch, int plane) => PermuteCase(Cuda.Value, channels, batch, plane);

    [Theory]
    [MemberData(nameof(RowSumShapes))]
    public void RowSumsAccumulateDeterministically(int channels, int length) => RowSumCase(Cpu.Value, channels, length);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(RowSumShapes))]
    public void RowSumsAccumulateDeterministicallyOnCuda(int channels, int length) => RowSumCase(Cuda.Value, channels, length);

    [GpuFact]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    public void RowSumsOfATrainingSizedGradientOnCuda() => RowSumCase(Cuda.Value, 64, 128 * 1024);

    [Fact]
    public void LongerViewsServeAPartialBatchAndOnlyTheirPrefixIsWritten()
    {
        // A workspace sized for a full batch of 3 serves a last batch of 2.
        var g = new ConvGeometry(2, 5, 7, 3, 3, 2, 1);
        var device = Cpu.Value;
        var x = Normal(1, 2 * g.Channels * g.InputPlane);
        var full = g.PatchSize * 3 * g.OutputPlane;
        using var xs = device.Accelerator.Allocate1D(x);
        using var columns = device.Accelerator.Allocate1D(Filled(full, float.NaN));

        device.Kernels.Im2Col(device.Stream, xs.View, g, 2, columns.View);

        var actual = Finish(device, columns);
        var used = g.PatchSize * 2 * g.OutputPlane;
        Assert.Equal(ConvLayoutReference.Im2Col(x, g, 2), actual[..used]);
        Assert.All(actual[used..], v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void WrongSizesThrowBeforeLaunch()
    {
        var g = new ConvGeometry(2, 5, 7, 3, 3, 2, 1);
        const int batch = 2, channels = 3;
        var device = Cpu.Value;
        var kernels = device.Kernels;
        var s = device.Stream;
        var input = batch * g.Channels * g.InputPlane;
        var columnCount = g.PatchSize * batch * g.OutputPlane;
        var activations = channels * batch * g.OutputPlane;
        using var x = device.Accelerator.Allocate1D<float>(input);
        using var columns = device.Accelerator.Allocate1D<float>(columnCount);
        using var y = device.Accelerator.Allocate1D<float>(activations);
        using var rows = device.Accelerator.Allocate1D<float>(activations);
        using var bias = device.Accelerator.Allocate1D<float>(channels);
        ArrayView<float> Short(ArrayView<float> view) => view.SubView(0, view.Length - 1);

        Assert.Throws<ArgumentException>(() => kernels.Im2Col(s, Short(x.View), g, batch, columns.View));
        Assert.Throws<ArgumentException>(() => kernels.Im2Col(s, x.View, g, batch, Short(columns.View)));
        Assert.Throws<ArgumentException>(() => kernels.Col2Im(s, Short(columns.View), g, batch, x.View));
        Assert.Throws<ArgumentException>(() => kernels.Col2Im(s, columns.View, g, batch, Short(x.View)));
        Assert.Throws<ArgumentException>(() => kernels.RowsToBatchAddBias(s, Short(rows.View), bias.View, channels, batch, g.OutputPlane, y.View));
        Assert.Throws<ArgumentException>(() => kernels.RowsToBatchAddBias(s, rows.View, Short(bias.View), channels, batch, g.OutputPlane, y.View));
        Assert.Throws<ArgumentException>(() => kernels.RowsToBatchAddBias(s, rows.View, bias.View, channels, batch, g.OutputPlane, Short(y.View)));
        Assert.Throws<ArgumentException>(() => kernels.BatchToRows(s, Short(y.View), channels, batch, g.OutputPlane, rows.View));
        Assert.Throws<ArgumentException>(() => kernels.BatchToRows(s, y.View, channels, batch, g.OutputPlane, Short(rows.View)));
        Assert.Throws<ArgumentException>(() => kernels.AccumulateRowSums(s, Short(rows.View), channels, batch * g.OutputPlane, bias.View));
        Assert.Throws<ArgumentException>(() => kernels.AccumulateRowSums(s, rows.View, channels, batch * g.OutputPlane, Short(bias.View)));

        // A batch of 3 into buffers for 2, non-positive sizes, and a window larger than the padded input.
        Assert.Throws<ArgumentException>(() => kernels.Im2Col(s, x.View, g, batch + 1, columns.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.Im2Col(s, x.View, g, 0, columns.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.BatchToRows(s, y.View, 0, batch, g.OutputPlane, rows.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.AccumulateRowSums(s, rows.View, channels, 0, bias.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.Col2Im(s, columns.View, g with { KernelH = 8 }, batch, x.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.Im2Col(s, x.View, g with { Stride = 0 }, batch, columns.View));
    }

    private static void Im2ColCase(Device device, ConvGeometry g, int batch)
    {
        var x = Normal(1, batch * g.Channels * g.InputPlane);
        using var xs = device.Accelerator.Allocate1D(x);
        using var columns = device.Accelerator.Allocate1D(Filled(g.PatchSize * batch * g.OutputPlane, float.NaN));

        device.Kernels.Im2Col(device.Stream, xs.View, g, batch, columns.View);

        Assert.Equal(ConvLayoutReference.Im2Col(x, g, batch), Finish(device, columns));
    }

    private static void Col2ImCase(Device device, ConvGeometry g, int batch)
    {
        var columns = Normal(2, g.PatchSize * batch * g.OutputPlane);
        using var cs = device.Accelerator.Allocate1D(columns);
        using var dx = device.Accelerator.Allocate1D(Filled(batch * g.Channels * g.InputPlane, float.NaN));

        device.Kernels.Col2Im(device.Stream, cs.View, g, batch, dx.View);

        Assert.Equal(ConvLayoutReference.Col2Im(columns, g, batch), Finish(device, dx));
    }

    /// <summary>⟨Im2Col(x), c⟩ = ⟨x, Col2Im(c)⟩, both sides in double from the kernels' float results.</summary>
    private static void AdjointCase(Device device, ConvGeometry g, int batch)
    {
        var x = Normal(3, batch * g.Channels * g.InputPlane);
        var c = Normal(4, g.PatchSize * batch * g.OutputPlane);
        using var xs = device.Accelerator.Allocate1D(x);
        using var cs = device.Accelerator.Allocate1D(c);
        using var columns = device.Accelerator.Allocate1D<float>(c.Length);
        using var dx = device.Accelerator.Allocate1D<float>(x.Length);

        device.Kernels.Im2Col(device.Stream, xs.View, g, batch, columns.View);
        device.Kernels.Col2Im(device.Stream, cs.View, g, batch, dx.View);

        var (left, leftScale) = Dot(Finish(device, columns), c);
        var (right, rightScale) = Dot(x, Finish(device, dx));
        Assert.True(Math.Abs(left - right) <= 1e-6 * Math.Max(leftScale, rightScale), $"⟨im2col x, c⟩ = {left}, ⟨x, col2im c⟩ = {right}");
    }

    private static void PermuteCase(Device device, int channels, int batch, int plane)
    {
        var count = channels * batch * plane;
        var rows = Normal(5, count);
        var bias = Normal(6, channels);
        var dy = Normal(7, count);
        using var rowsIn = device.Accelerator.Allocate1D(rows);
        using var biasIn = device.Accelerator.Allocate1D(bias);
        using var dyIn = device.Accelerator.Allocate1D(dy);
        using var y = device.Accelerator.Allocate1D(Filled(count, float.NaN));
        using var rowsOut = device.Accelerator.Allocate1D(Filled(count, float.NaN));

        device.Kernels.RowsToBatchAddBias(device.Stream, rowsIn.View, biasIn.View, channels, batch, plane, y.View);
        device.Kernels.BatchToRows(device.Stream, dyIn.View, channels, batch, plane, rowsOut.View);

        Assert.Equal(ConvLayoutReference.RowsToBatchAddBias(rows, bias, channels, batch, plane), Finish(device, y));
        Assert.Equal(ConvLayoutReference.BatchToRows(dy, channels, batch, plane), Finish(device, rowsOut));
    }

    private static void RowSumCase(Device device, int channels, int length)
    {
        var rows = Normal(8, channels * length);
        var initial = Normal(9, channels);
        using var rowsIn = device.Accelerator.Allocate1D(rows);
        using var first = device.Accelerator.Allocate1D(initial);
        using var second = device.Accelerator.Allocate1D(initial);

        device.Kernels.AccumulateRowSums(device.Stream, rowsIn.View, channels, length, first.View);
        device.Kernels.AccumulateRowSums(device.Stream, rowsIn.View, channels, length, second.View);

        var sums = Finish(device, first);
        var expected = ConvLayoutReference.AccumulateRowSums(rows, channels, length, initial);
        for (var c = 0; c < channels; c++)
        {
            // A float sum of n N(0,1) terms in a tree of partial sums drifts ~1e-7·√n from the double sum.
            var scale = Math.Abs(initial[c]) + Math.Sqrt(length);
            Assert.True(Math.Abs(sums[c] - expected[c]) <= 1e-5 * scale, $"sums[{c}] = {sums[c]:G9}, expected {expected[c]:G9}");
        }

        Assert.Equal(sums, second.GetAsArray1D());
    }

    private static (double Value, double Scale) Dot(float[] a, float[] b)
    {
        double sum = 0, scale = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
            scale += Math.Abs((double)a[i] * b[i]);
        }

        return (sum, scale);
    }

    private static float[] Normal(ulong seed, int length) => GradientCheck.Normal(new Rng(seed), 1f, length).ToArray();

    private static float[] Filled(int length, float value) => Enumerable.Repeat(value, length).ToArray();

    private static float[] Finish(Device device, MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        device.Stream.Synchronize();
        return buffer.GetAsArray1D();
    }

    /// <summary>An accelerator with its kernels, loaded once per test run.</summary>
    private sealed class Device(Accelerator accelerator)
    {
        public Accelerator Accelerator { get; } = accelerator;

        public ConvKernels Kernels { get; } = new(accelerator);

        public AcceleratorStream Stream => Accelerator.DefaultStream;
    }
}
