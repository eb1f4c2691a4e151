using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Compute.Ilgpu;
using Distributed.Core.Tensors;
using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// PoolKernels against the CPU backend, which is the reference twin here: its window rules (first maximum, NaN
/// wins) are what the device must reproduce. Both add a gradient's terms in window order, so results match exactly.
/// </summary>
[Collection(IlgpuCollection.Name)]
public sealed class PoolKernelsTests
{
    private static readonly Lazy<Device> Cpu = new(() => new Device(IlgpuTestDevices.Cpu));
    private static readonly Lazy<Device> Cuda = new(() => new Device(IlgpuTestDevices.Cuda));

    /// <summary>Input values: distinct, ties from {0, 1, 2}, or ties with about one NaN in eight.</summary>
    public enum Values
    {
        Distinct,
        Ties,
        TiesAndNaN,
    }

    /// <summary>
    /// PoolTests' geometries (planes, height, width, kernel, stride: 2×2 stride 2 with odd edges, overlapping
    /// windows, rows wide enough for the CPU's vector path) with each kind of values, plus a rectangular window.
    /// </summary>
    public static TheoryData<int, int, int, int, int, int, Values> Cases
    {
        get
        {
            var data = new TheoryData<int, int, int, int, int, int, Values>();
            foreach (var values in Enum.GetValues<Values>())
            {
                foreach (var row in PoolTests.Geometries)
                {
                    var (planes, height, width, kernel, stride) = ((int)row[0], (int)row[1], (int)row[2], (int)row[3], (int)row[4]);
                    data.Add(planes, height, width, kernel, kernel, stride, values);
                }

                data.Add(3, 7, 8, 3, 2, 1, values);
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTheCpuBackend(int planes, int height, int width, int kernelH, int kernelW, int stride, Values values) =>
        MatchesCpuCase(Cpu.Value, planes, new ConvGeometry(1, height, width, kernelH, kernelW, stride, 0), values);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [MemberData(nameof(Cases))]
    public void MatchesTheCpuBackendOnCuda(int planes, int height, int width, int kernelH, int kernelW, int stride, Values values) =>
        MatchesCpuCase(Cuda.Value, planes, new ConvGeometry(1, height, width, kernelH, kernelW, stride, 0), values);

    [Theory]
    [InlineData(2, new float[] { 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0 })]
    [InlineData(3, new float[] { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })]
    public void TheFirstNaNIsTheMaximumAndTakesTheGradient(int kernel, float[] expectedDx) => FirstNaNCase(Cpu.Value, kernel, expectedDx);

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [InlineData(2, new float[] { 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0 })]
    [InlineData(3, new float[] { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })]
    public void TheFirstNaNIsTheMaximumAndTakesTheGradientOnCuda(int kernel, float[] expectedDx) => FirstNaNCase(Cuda.Value, kernel, expectedDx);

    [Fact]
    public void WrongSizesAndPaddingThrowBeforeLaunch()
    {
        var g = new ConvGeometry(1, 5, 7, 2, 2, 2, 0);
        const int planes = 3;
        var device = Cpu.Value;
        var kernels = device.Kernels;
        var s = device.Stream;
        using var x = device.Accelerator.Allocate1D<float>(planes * g.InputPlane);
        using var y = device.Accelerator.Allocate1D<float>(planes * g.OutputPlane);
        using var dx = device.Accelerator.Allocate1D<float>(planes * g.InputPlane);
        ArrayView<float> Short(ArrayView<float> view) => view.SubView(0, view.Length - 1);

        Assert.Throws<ArgumentException>(() => kernels.MaxPoolForward(s, Short(x.View), g, planes, y.View));
        Assert.Throws<ArgumentException>(() => kernels.MaxPoolForward(s, x.View, g, planes, Short(y.View)));
        Assert.Throws<ArgumentException>(() => kernels.MaxPoolBackward(s, Short(x.View), y.View, g, planes, dx.View));
        Assert.Throws<ArgumentException>(() => kernels.MaxPoolBackward(s, x.View, Short(y.View), g, planes, dx.View));
        Assert.Throws<ArgumentException>(() => kernels.MaxPoolBackward(s, x.View, y.View, g, planes, Short(dx.View)));
        Assert.Throws<ArgumentException>(() => kernels.MaxPoolForward(s, x.View, g, planes + 1, y.View));
        Assert.Throws<ArgumentException>(() => kernels.MaxPoolForward(s, x.View, g with { Padding = 1 }, planes, y.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.MaxPoolForward(s, x.View, g, 0, y.View));
        Assert.ThrowsAny<ArgumentException>(() => kernels.MaxPoolBackward(s, x.View, y.View, g with { KernelW = 9 }, planes, dx.View));
    }

    private static void MatchesCpuCase(Device device, int planes, ConvGeometry g, Values values)
    {
        var x = Inputs(planes * g.InputPlane, values);
        var dy = GradientCheck.Normal(new Rng(3), 1f, planes * g.OutputPlane).ToArray();
        var cpu = new CpuBackend(1);
        var yExpected = new Tensor(dy.Length);
        var dxExpected = new Tensor(x.Length);
        cpu.MaxPoolForward(Tensor.FromArray(x, x.Length), yExpected, g);
        cpu.MaxPoolBackward(Tensor.FromArray(x, x.Length), Tensor.FromArray(dy, dy.Length), dxExpected, g);

        var (y, dx) = Run(device, planes, g, x, dy);

        Assert.Equal(yExpected.ToArray(), y);
        Assert.Equal(dxExpected.ToArray(), dx);
    }

    /// <summary>PoolTests' fixed case: rows [1 9 2 3] [NaN 4 NaN 5] [6 7 8 0], stride 2.</summary>
    private static void FirstNaNCase(Device device, int kernel, float[] expectedDx)
    {
        var g = new ConvGeometry(1, 3, 4, kernel, kernel, 2, 0);
        float[] x = [1, 9, 2, 3, float.NaN, 4, float.NaN, 5, 6, 7, 8, 0];

        var (y, dx) = Run(device, 1, g, x, Enumerable.Repeat(1f, g.OutputPlane).ToArray());

        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(expectedDx, dx);
    }

    /// <summary>Forward then backward on the device, with y and dx filled with NaN first: both must be overwritten.</summary>
    private static (float[] Y, float[] Dx) Run(Device device, int planes, ConvGeometry g, float[] x, float[] dy)
    {
        var accelerator = device.Accelerator;
        using var xs = accelerator.Allocate1D(x);
        using var dys = accelerator.Allocate1D(dy);
        using var y = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, dy.Length).ToArray());
        using var dx = accelerator.Allocate1D(Enumerable.Repeat(float.NaN, x.Length).ToArray());

        device.Kernels.MaxPoolForward(device.Stream, xs.View, g, planes, y.View);
        device.Kernels.MaxPoolBackward(device.Stream, xs.View, dys.View, g, planes, dx.View);
        device.Stream.Synchronize();

        return (y.GetAsArray1D(), dx.GetAsArray1D());
    }

    private static float[] Inputs(int length, Values values)
    {
        var rng = new Rng(2);
        if (values == Values.Distinct)
        {
            return GradientCheck.Normal(rng, 1f, length).ToArray();
        }

        var x = new float[length];
        for (var i = 0; i < length; i++)
        {
            var v = rng.NextInt(values == Values.TiesAndNaN ? 8 : 3);
            x[i] = v < 3 ? v : v == 7 ? float.NaN : 1f;
        }

        return x;
    }

    /// <summary>An accelerator with its kernels, loaded once per test run.</summary>
    private sealed class Device(Accelerator accelerator)
    {
        public Accelerator Accelerator { get; } = accelerator;

        public PoolKernels Kernels { get; } = new(accelerator);

        public AcceleratorStream Stream => Accelerator.DefaultStream;
    }
}
