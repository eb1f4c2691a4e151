using Distributed.Core.Tensors;

namespace Distributed.Core.Compute.Cpu;

public sealed partial class CpuBackend
{
    public void MaxPoolForward(Tensor x, Tensor y, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(y, planes * g.OutputPlane, "max-pool output");
        var xs = x.Span;
        var ys = y.Span;
        for (var pl = 0; pl < planes; pl++)
        {
            var src = xs.Slice(pl * g.InputPlane, g.InputPlane);
            var dst = ys.Slice(pl * g.OutputPlane, g.OutputPlane);
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    dst[(oy * g.OutWidth) + ox] = src[ArgMax(src, g, oy, ox)];
                }
            }
        }
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(dy, planes * g.OutputPlane, "max-pool output gradient");
        RequireSameLength(x, dx, "max-pool input gradient");
        var xs = x.Span;
        var dys = dy.Span;
        var dxs = dx.Span;
        dxs.Clear();
        for (var pl = 0; pl < planes; pl++)
        {
            var src = xs.Slice(pl * g.InputPlane, g.InputPlane);
            var grad = dys.Slice(pl * g.OutputPlane, g.OutputPlane);
            var dst = dxs.Slice(pl * g.InputPlane, g.InputPlane);
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    dst[ArgMax(src, g, oy, ox)] += grad[(oy * g.OutWidth) + ox];
                }
            }
        }
    }

    private static int PoolPlanes(Tensor x, ConvGeometry g)
    {
        g.Validate();
        if (g.Padding != 0)
        {
            throw new ArgumentException("max-pool padding is not supported");
        }

        if (x.Length % (g.Channels * g.InputPlane) != 0)
        {
            throw new ArgumentException($"max-pool input {x} is not a batch of {g.Channels}x{g.Height}x{g.Width}");
        }

        return x.Length / g.InputPlane;
    }

    /// <summary>Index in the plane of the first largest value in window (oy, ox); NaN wins, as in PyTorch.</summary>
    private static int ArgMax(ReadOnlySpan<float> plane, ConvGeometry g, int oy, int ox)
    {
        var y0 = oy * g.Stride;
        var x0 = ox * g.Stride;
        var best = (y0 * g.Width) + x0;
        var bestValue = plane[best];
        for (var ky = 0; ky < g.KernelH; ky++)
        {
            var row = (y0 + ky) * g.Width;
            for (var kx = 0; kx < g.KernelW; kx++)
            {
                var v = plane[row + x0 + kx];
                if (v > bestValue || (float.IsNaN(v) && !float.IsNaN(bestValue)))
                {
                    best = row + x0 + kx;
                    bestValue = v;
                }
            }
        }

        return best;
    }
}
