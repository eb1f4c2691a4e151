using Distributed.Core.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

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

        Im2Col(x, col, g, n);
        Gemm(false, false, cout, np, k, 1f, weight, col, 0f, yT);

        // yT is [Cout][N][P]; y is [N][Cout][P]. Add the bias while reordering.
        ParallelRanges(n * cout, g.OutputPlane, new BiasReorder(yT, y, bias, cout, np, g.OutputPlane), static (in BiasReorder r, int first, int last) =>
        {
            for (var nc = first; nc < last; nc++)
            {
                var s = nc / r.Cout;
                var co = nc % r.Cout;
                var src = r.Transposed.Span.Slice((co * r.Np) + (s * r.Plane), r.Plane);
                TensorPrimitives.Add(src, r.Bias.Span[co], r.Output.Span.Slice(nc * r.Plane, r.Plane));
            }
        });
    }

    private readonly record struct BiasReorder(Tensor Transposed, Tensor Output, Tensor Bias, int Cout, int Np, int Plane);

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
            bg[co] += TensorPrimitives.Sum(dyts.Slice(co * np, np));
        }

        if (dx is null)
        {
            return;
        }

        RequireLength(dx, x.Length, "conv input gradient");
        Gemm(true, false, k, np, cout, 1f, weight, dyT, 0f, col);
        Col2Im(col, dx, g, n);
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

    /// <summary>
    /// col[(c,kh,kw), s·P + (oh,ow)] = x[s, c, oh·stride − pad + kh, ow·stride − pad + kw], 0 outside.
    /// Rows are independent, so they are filled in parallel; stride-1 lines are one block copy.
    /// </summary>
    private void Im2Col(Tensor x, Tensor col, ConvGeometry g, int n) =>
        ParallelRanges(g.PatchSize, n * g.OutputPlane, new ConvIo(x, col, g, n), static (in ConvIo io, int first, int last) =>
        {
            var g = io.Geometry;
            var np = io.Batch * g.OutputPlane;
            var xs = io.Image.Span;
            var cols = io.Columns.Span;
            var kernelArea = g.KernelH * g.KernelW;
            for (var r = first; r < last; r++)
            {
                var c = r / kernelArea;
                var kh = r % kernelArea / g.KernelW;
                var kw = r % g.KernelW;
                var row = cols.Slice(r * np, np);
                var (from, to) = ValidColumns(g, kw);
                for (var s = 0; s < io.Batch; s++)
                {
                    var src = xs.Slice(((s * g.Channels) + c) * g.InputPlane, g.InputPlane);
                    for (var y = 0; y < g.OutHeight; y++)
                    {
                        var line = row.Slice((s * g.OutputPlane) + (y * g.OutWidth), g.OutWidth);
                        var iy = (y * g.Stride) - g.Padding + kh;
                        if ((uint)iy >= (uint)g.Height || from >= to)
                        {
                            line.Clear();
                            continue;
                        }

                        line[..from].Clear();
                        line[to..].Clear();
                        var srcLine = src.Slice(iy * g.Width, g.Width);
                        if (g.Stride == 1)
                        {
                            srcLine.Slice(from - g.Padding + kw, to - from).CopyTo(line[from..to]);
                            continue;
                        }

                        for (var xo = from; xo < to; xo++)
                        {
                            line[xo] = srcLine[(xo * g.Stride) - g.Padding + kw];
                        }
                    }
                }
            }
        });

    /// <summary>An image batch and its im2col matrix: the inputs of one im2col or col2im region.</summary>
    private readonly record struct ConvIo(Tensor Image, Tensor Columns, ConvGeometry Geometry, int Batch);

    /// <summary>
    /// The adjoint of im2col: dx is overwritten with the sum of every column entry that read it. Channels own
    /// disjoint planes of dx, so they run in parallel, and each element sums in a fixed order.
    /// </summary>
    private void Col2Im(Tensor col, Tensor dx, ConvGeometry g, int n) =>
        ParallelRanges(g.Channels, (long)g.KernelH * g.KernelW * n * g.OutputPlane, new ConvIo(dx, col, g, n), static (in ConvIo io, int first, int last) =>
        {
            var g = io.Geometry;
            var n = io.Batch;
            var np = n * g.OutputPlane;
            var cols = io.Columns.Span;
            var dxs = io.Image.Span;
            for (var c = first; c < last; c++)
            {
                for (var s = 0; s < n; s++)
                {
                    dxs.Slice(((s * g.Channels) + c) * g.InputPlane, g.InputPlane).Clear();
                }

                for (var kh = 0; kh < g.KernelH; kh++)
                {
                    for (var kw = 0; kw < g.KernelW; kw++)
                    {
                        var row = cols.Slice((((c * g.KernelH) + kh) * g.KernelW + kw) * np, np);
                        var (from, to) = ValidColumns(g, kw);
                        for (var s = 0; s < n; s++)
                        {
                            var dst = dxs.Slice(((s * g.Channels) + c) * g.InputPlane, g.InputPlane);
                            for (var y = 0; y < g.OutHeight; y++)
                            {
                                var iy = (y * g.Stride) - g.Padding + kh;
                                if ((uint)iy >= (uint)g.Height || from >= to)
                                {
                                    continue;
                                }

                                var dstLine = dst.Slice(iy * g.Width, g.Width);
                                var line = row.Slice((s * g.OutputPlane) + (y * g.OutWidth), g.OutWidth);
                                if (g.Stride == 1)
                                {
                                    var target = dstLine.Slice(from - g.Padding + kw, to - from);
                                    TensorPrimitives.Add(target, line[from..to], target);
                                    continue;
                                }

                                for (var xo = from; xo < to; xo++)
                                {
                                    dstLine[(xo * g.Stride) - g.Padding + kw] += line[xo];
                                }
                            }
                        }
                    }
                }
            }
        });

    /// <summary>The output columns [from, to) whose input column xo·stride − pad + kw lies inside the image.</summary>
    private static (int From, int To) ValidColumns(ConvGeometry g, int kw)
    {
        var shift = g.Padding - kw;
        var from = shift <= 0 ? 0 : (shift + g.Stride - 1) / g.Stride;
        var lastInside = g.Width - 1 + shift;
        var to = lastInside < 0 ? 0 : Math.Min(g.OutWidth, (lastInside / g.Stride) + 1);
        return (from, Math.Max(from, to));
    }
}
