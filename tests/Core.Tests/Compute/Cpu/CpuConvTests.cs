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
}
