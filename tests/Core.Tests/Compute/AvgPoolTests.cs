using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute;

/// <summary>AvgPoolForward/Backward against the naive window sums (the kernels' reference twin), for any backend.</summary>
public abstract class AvgPoolTests
{
    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [MemberData(nameof(PoolTests.Geometries), MemberType = typeof(PoolTests))]
    public void MatchesTheNaiveWindowSums(int planes, int height, int width, int kernel, int stride)
    {
        var g = new ConvGeometry(1, height, width, kernel, kernel, stride, 0);
        var x = GradientCheck.Normal(new Rng(11), 1f, planes * height * width);
        var dy = GradientCheck.Normal(new Rng(12), 1f, planes * g.OutputPlane);
        var y = new Tensor(planes * g.OutputPlane);
        var dx = GradientCheck.Normal(new Rng(13), 1f, x.Length); // overwritten, not added to
        var backend = CreateBackend();

        backend.AvgPoolForward(x, y, g);
        backend.AvgPoolBackward(dy, dx, g);

        var (expectedY, expectedDx) = Reference(x, dy, planes, g);
        for (var i = 0; i < y.Length; i++)
        {
            Assert.Equal(expectedY[i], y[i], 1e-5);
        }

        for (var i = 0; i < dx.Length; i++)
        {
            Assert.Equal(expectedDx[i], dx[i], 1e-5);
        }
    }

    [Fact]
    public void PaddingIsRefused()
    {
        var g = new ConvGeometry(1, 4, 4, 2, 2, 2, 1);

        Assert.ThrowsAny<ArgumentException>(() => CreateBackend().AvgPoolForward(new Tensor(16), new Tensor(9), g));
    }

    private static (double[] Y, double[] Dx) Reference(Tensor x, Tensor dy, int planes, ConvGeometry g)
    {
        var y = new double[planes * g.OutputPlane];
        var dx = new double[x.Length];
        var area = g.KernelH * g.KernelW;
        for (var p = 0; p < planes; p++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var o = (p * g.OutputPlane) + (oy * g.OutWidth) + ox;
                    for (var ky = 0; ky < g.KernelH; ky++)
                    {
                        for (var kx = 0; kx < g.KernelW; kx++)
                        {
                            var at = (p * g.InputPlane) + (((oy * g.Stride) + ky) * g.Width) + (ox * g.Stride) + kx;
                            y[o] += x[at] / (double)area;
                            dx[at] += dy[o] / (double)area;
                        }
                    }
                }
            }
        }

        return (y, dx);
    }
}
