using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>The activation and average-pool kernels on a CUDA GPU against the CPU backend; skipped without a GPU.</summary>
[Collection(IlgpuCollection.Name)]
public sealed class IlgpuCudaActivationTests : IDisposable
{
    private readonly IlgpuBackends _backends = new();

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [InlineData(ActivationKind.LeakyRelu)]
    [InlineData(ActivationKind.Tanh)]
    [InlineData(ActivationKind.Sigmoid)]
    [InlineData(ActivationKind.Gelu)]
    public void ActivationsMatchTheCpuBackend(ActivationKind kind)
    {
        var f = new ActivationFunction(kind, 0.05f);
        var x = GradientCheck.Normal(new Rng(21), 3f, 32 * 16 * 16);
        var dy = GradientCheck.Normal(new Rng(22), 1f, x.Length);
        var (cpuY, cpuDx) = Run(new CpuBackend(1), f, x, dy);
        var (gpuY, gpuDx) = Run(_backends.Create(IlgpuTestDevices.Cuda), f, x, dy);

        for (var i = 0; i < x.Length; i++)
        {
            Assert.Equal(cpuY[i], gpuY[i], 1e-5);
            Assert.Equal(cpuDx[i], gpuDx[i], 1e-4);
        }
    }

    [GpuTheory]
    [Trait(TestCategory.Key, TestCategory.Gpu)]
    [InlineData(2, 2)]
    [InlineData(3, 2)]
    public void AveragePoolingMatchesTheCpuBackend(int kernel, int stride)
    {
        var g = new ConvGeometry(1, 32, 32, kernel, kernel, stride, 0);
        const int planes = 64;
        var x = GradientCheck.Normal(new Rng(23), 1f, planes * g.InputPlane);
        var dy = GradientCheck.Normal(new Rng(24), 1f, planes * g.OutputPlane);
        foreach (var backend in new[] { new CpuBackend(1), _backends.Create(IlgpuTestDevices.Cuda) })
        {
            var y = new Tensor(dy.Length);
            var dx = new Tensor(x.Length);
            backend.AvgPoolForward(x, y, g);
            backend.AvgPoolBackward(dy, dx, g);
            _results.Add((y.ToArray(), dx.ToArray()));
        }

        Assert.Equal(_results[0].Y, _results[1].Y, (a, b) => Math.Abs(a - b) <= 1e-5);
        Assert.Equal(_results[0].Dx, _results[1].Dx, (a, b) => Math.Abs(a - b) <= 1e-5);
    }

    public void Dispose() => _backends.Dispose();

    private readonly List<(float[] Y, float[] Dx)> _results = [];

    private static (float[] Y, float[] Dx) Run(IComputeBackend backend, ActivationFunction f, Tensor x, Tensor dy)
    {
        var y = new Tensor(x.Length);
        var dx = new Tensor(x.Length);
        backend.ActivationForward(f, x, y);
        backend.ActivationBackward(f, x, y, dy, dx);
        return (y.ToArray(), dx.ToArray());
    }
}
