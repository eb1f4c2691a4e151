using Distributed.Core.Compute;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute.Cpu;

public sealed class CpuConvTests : ConvTests
{
    protected override IComputeBackend CreateBackend() => new CpuBackend(1);

    [Fact]
    public void ThreadCountDoesNotChangeASingleBit()
    {
        // Large enough (N·P = 2048 columns) that the forward GEMM and both backward GEMMs split across threads.
        var g = new ConvGeometry(3, 16, 16, 3, 3, 1, 1);
        const int batch = 8, cout = 8;
        var results = new[] { 1, 2, 4 }.Select(threads =>
        {
            var backend = new CpuBackend(threads);
            var (x, w, bias) = Inputs(g, batch, cout, seed: 6);
            var dy = GradientCheck.Normal(new Rng(7), 1f, batch, cout, g.OutHeight, g.OutWidth);
            var y = new Tensor(batch * cout * g.OutputPlane);
            var weightGrad = new Tensor(w.Length);
            var biasGrad = new Tensor(cout);
            var dx = new Tensor(x.Length);
            var workspace = new Tensor(backend.ConvWorkspaceLength(g, cout, batch));
            backend.Conv2dForward(x, w, bias, y, g, workspace);
            backend.Conv2dBackward(x, w, dy, weightGrad, biasGrad, dx, g, workspace);
            return (Y: y.ToArray(), W: weightGrad.ToArray(), B: biasGrad.ToArray(), X: dx.ToArray());
        }).ToArray();

        foreach (var other in results[1..])
        {
            Assert.Equal(results[0].Y, other.Y);
            Assert.Equal(results[0].W, other.W);
            Assert.Equal(results[0].B, other.B);
            Assert.Equal(results[0].X, other.X);
        }
    }

    [Fact]
    public void WeightsChangedBetweenCallsAreNotServedFromTheLastPacking()
    {
        // Within one call the weights are packed once and reused for every sample; the next call must repack them.
        var g = new ConvGeometry(2, 6, 6, 3, 3, 1, 1);
        const int batch = 3, cout = 4;
        var backend = new CpuBackend(1);
        var (x, w, bias) = Inputs(g, batch, cout, seed: 8);
        var workspace = new Tensor(backend.ConvWorkspaceLength(g, cout, batch));
        var first = new Tensor(batch * cout * g.OutputPlane);
        backend.Conv2dForward(x, w, bias, first, g, workspace);

        w.Span.Reverse();
        var second = new Tensor(batch * cout * g.OutputPlane);
        backend.Conv2dForward(x, w, bias, second, g, workspace);
        var fresh = new Tensor(batch * cout * g.OutputPlane);
        new CpuBackend(1).Conv2dForward(x, w, bias, fresh, g, workspace);

        Assert.Equal(fresh.ToArray(), second.ToArray());
        Assert.NotEqual(first.ToArray(), second.ToArray());
    }
}
