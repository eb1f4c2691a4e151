using Distributed.Core.Tensors;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Convolution as one large GEMM over the whole batch: im2col lays every output position of every sample
/// side by side (col is K × N·P), so the multiply is big enough to parallelise and the weight gradient is a
/// single deterministic GEMM with a long inner dimension instead of N racing accumulations.
/// Workspace: col (K·N·P) then the output in channel-major order (Cout·N·P). The caller keeps it unchanged
/// between forward and backward of one batch, so backward reuses the forward's col.
/// </summary>
public sealed partial class CpuBackend
{
    public int ConvWorkspaceLength(ConvGeometry g, int outChannels, int batch) =>
        checked((g.PatchSize + outChannels) * batch * g.OutputPlane);

    public void Conv2dForward(Tensor x, Tensor weight, Tensor bias, Tensor y, ConvGeometry g, Tensor workspace)
    {
        var (n, cout, k, np) = ConvDims(x, weight, g);
        RequireLength(y, n * cout * g.OutputPlane, "conv output");
        RequireLength(workspace, ConvWorkspaceLength(g, cout, n), "conv workspace");
        var col = workspace.View(0, k, np);
        var yT = workspace.View(k * np, cout, np);

        Im2Col(x.Span, col.Span, g, n);
        Gemm(false, false, cout, np, k, 1f, weight, col, 0f, yT);

        // yT is [Cout][N][P]; y is [N][Cout][P]. Add the bias while reordering.
        var p = g.OutputPlane;
        var yts = yT.Storage.AsMemory(yT.Offset, cout * np);
        var ys = y.Storage.AsMemory(y.Offset, n * cout * p);
        var b = bias.Storage.AsMemory(bias.Offset, cout);
        ParallelRanges(n * cout, p, (first, last) =>
        {
            for (var nc = first; nc < last; nc++)
            {
                var s = nc / cout;
                var co = nc % cout;
                var src = yts.Span.Slice((co * np) + (s * p), p);
                System.Numerics.Tensors.TensorPrimitives.Add(src, b.Span[co], ys.Span.Slice(nc * p, p));
            }
        });
    }

    public void Conv2dBackward(Tensor x, Tensor weight, Tensor dy, Tensor weightGrad, Tensor biasGrad, Tensor? dx, ConvGeometry g, Tensor workspace)
    {
        var (n, cout, k, np) = ConvDims(x, weight, g);
        RequireLength(dy, n * cout * g.OutputPlane, "conv output gradient");
        RequireLength(workspace, ConvWorkspaceLength(g, cout, n), "conv workspace");
        var col = workspace.View(0, k, np);
        var dyT = workspace.View(k * np, cout, np);

        var p = g.OutputPlane;
        var dys = dy.Span;
        var dyts = dyT.Span;
        for (var s = 0; s < n; s++)
        {
            for (var co = 0; co < cout; co++)
            {
                dys.Slice(((s * cout) + co) * p, p).CopyTo(dyts.Slice((co * np) + (s * p), p));
            }
        }

        Gemm(false, true, cout, k, np, 1f, dyT, col, 1f, weightGrad);
        var bg = biasGrad.Span;
        for (var co = 0; co < cout; co++)
        {
            bg[co] += System.Numerics.Tensors.TensorPrimitives.Sum(dyts.Slice(co * np, np));
        }

        if (dx is null)
        {
            return;
        }

        RequireLength(dx, x.Length, "conv input gradient");
        Gemm(true, false, k, np, cout, 1f, weight, dyT, 0f, col);
        Col2Im(col.Span, dx.Span, g, n);
    }

    private static (int N, int Cout, int K, int NP) ConvDims(Tensor x, Tensor weight, ConvGeometry g)
    {
        g.Validate();
        var perSample = g.Channels * g.InputPlane;
        if (x.Length % perSample != 0)
        {
            throw new ArgumentException($"conv input {x} is not a batch of {g.Channels}x{g.Height}x{g.Width}");
        }

        var n = x.Length / perSample;
        var k = g.PatchSize;
        if (weight.Length % k != 0)
        {
            throw new ArgumentException($"conv weight {weight} does not match patch size {k}");
        }

        return (n, weight.Length / k, k, n * g.OutputPlane);
    }

    /// <summary>col[(c,kh,kw), s·P + (oh,ow)] = x[s, c, oh·stride − pad + kh, ow·stride − pad + kw], 0 outside.</summary>
    private static void Im2Col(ReadOnlySpan<float> x, Span<float> col, ConvGeometry g, int n)
    {
        var p = g.OutputPlane;
        var np = n * p;
        var oh = g.OutHeight;
        var ow = g.OutWidth;
        var plane = g.InputPlane;
        for (var c = 0; c < g.Channels; c++)
        {
            for (var kh = 0; kh < g.KernelH; kh++)
            {
                for (var kw = 0; kw < g.KernelW; kw++)
                {
                    var row = col.Slice((((c * g.KernelH) + kh) * g.KernelW + kw) * np, np);
                    for (var s = 0; s < n; s++)
                    {
                        var src = x.Slice(((s * g.Channels) + c) * plane, plane);
                        var dst = row.Slice(s * p, p);
                        for (var y = 0; y < oh; y++)
                        {
                            var iy = (y * g.Stride) - g.Padding + kh;
                            var line = dst.Slice(y * ow, ow);
                            if ((uint)iy >= (uint)g.Height)
                            {
                                line.Clear();
                                continue;
                            }

                            var srcLine = src.Slice(iy * g.Width, g.Width);
                            for (var xo = 0; xo < ow; xo++)
                            {
                                var ix = (xo * g.Stride) - g.Padding + kw;
                                line[xo] = (uint)ix < (uint)g.Width ? srcLine[ix] : 0f;
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of im2col: dx is overwritten with the sum of every column entry that read it.</summary>
    private static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, ConvGeometry g, int n)
    {
        dx.Clear();
        var p = g.OutputPlane;
        var np = n * p;
        var oh = g.OutHeight;
        var ow = g.OutWidth;
        var plane = g.InputPlane;
        for (var c = 0; c < g.Channels; c++)
        {
            for (var kh = 0; kh < g.KernelH; kh++)
            {
                for (var kw = 0; kw < g.KernelW; kw++)
                {
                    var row = col.Slice((((c * g.KernelH) + kh) * g.KernelW + kw) * np, np);
                    for (var s = 0; s < n; s++)
                    {
                        var dst = dx.Slice(((s * g.Channels) + c) * plane, plane);
                        var src = row.Slice(s * p, p);
                        for (var y = 0; y < oh; y++)
                        {
                            var iy = (y * g.Stride) - g.Padding + kh;
                            if ((uint)iy >= (uint)g.Height)
                            {
                                continue;
                            }

                            var dstLine = dst.Slice(iy * g.Width, g.Width);
                            var line = src.Slice(y * ow, ow);
                            for (var xo = 0; xo < ow; xo++)
                            {
                                var ix = (xo * g.Stride) - g.Padding + kw;
                                if ((uint)ix < (uint)g.Width)
                                {
                                    dstLine[ix] += line[xo];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
