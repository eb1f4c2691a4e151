namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// A convolution window's shape as plain fields, and im2col / col2im for one sample. <see cref="ConvGeometry"/>
/// derives output sizes with divisions on every access, which inside per-row loops cost more than the copies.
/// A sample's column matrix is K × P (K = channels·kh·kw rows, P = output positions), row-major.
/// </summary>
internal readonly struct ConvWindow(ConvGeometry g)
{
    public readonly int Channels = g.Channels;
    public readonly int Height = g.Height;
    public readonly int Width = g.Width;
    public readonly int KernelH = g.KernelH;
    public readonly int KernelW = g.KernelW;
    public readonly int Stride = g.Stride;
    public readonly int Padding = g.Padding;
    public readonly int OutHeight = g.OutHeight;
    public readonly int OutWidth = g.OutWidth;
    public readonly int InputPlane = g.InputPlane;
    public readonly int OutputPlane = g.OutputPlane;
    public readonly int PatchSize = g.PatchSize;

    /// <summary>col[(c,kh,kw), (oh,ow)] = x[c, oh·stride − pad + kh, ow·stride − pad + kw], 0 outside the image.</summary>
    public void Im2Col(ReadOnlySpan<float> sample, Span<float> col)
    {
        var kernelArea = KernelH * KernelW;
        for (var r = 0; r < PatchSize; r++)
        {
            var c = r / kernelArea;
            var kh = r % kernelArea / KernelW;
            var kw = r % KernelW;
            var row = col.Slice(r * OutputPlane, OutputPlane);
            var src = sample.Slice(c * InputPlane, InputPlane);
            var (from, to) = ValidColumns(kw);
            for (var y = 0; y < OutHeight; y++)
            {
                var line = row.Slice(y * OutWidth, OutWidth);
                var iy = (y * Stride) - Padding + kh;
                if ((uint)iy >= (uint)Height || from >= to)
                {
                    line.Clear();
                    continue;
                }

                line[..from].Clear();
                line[to..].Clear();
                var srcLine = src.Slice(iy * Width, Width);
                if (Stride == 1)
                {
                    srcLine.Slice(from - Padding + kw, to - from).CopyTo(line[from..to]);
                    continue;
                }

                for (var xo = from; xo < to; xo++)
                {
                    line[xo] = srcLine[(xo * Stride) - Padding + kw];
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: the sample's dx is overwritten with the sum of every entry that read it, in a fixed order.</summary>
    public void Col2Im(ReadOnlySpan<float> col, Span<float> sample)
    {
        sample[..(Channels * InputPlane)].Clear();
        var kernelArea = KernelH * KernelW;
        for (var r = 0; r < PatchSize; r++)
        {
            var c = r / kernelArea;
            var kh = r % kernelArea / KernelW;
            var kw = r % KernelW;
            var row = col.Slice(r * OutputPlane, OutputPlane);
            var dst = sample.Slice(c * InputPlane, InputPlane);
            var (from, to) = ValidColumns(kw);
            for (var y = 0; y < OutHeight; y++)
            {
                var iy = (y * Stride) - Padding + kh;
                if ((uint)iy >= (uint)Height || from >= to)
                {
                    continue;
                }

                var dstLine = dst.Slice(iy * Width, Width);
                var line = row.Slice(y * OutWidth, OutWidth);
                if (Stride == 1)
                {
                    var target = dstLine.Slice(from - Padding + kw, to - from);
                    System.Numerics.Tensors.TensorPrimitives.Add(target, line[from..to], target);
                    continue;
                }

                for (var xo = from; xo < to; xo++)
                {
                    dstLine[(xo * Stride) - Padding + kw] += line[xo];
                }
            }
        }
    }

    /// <summary>The output columns [from, to) whose input column xo·stride − pad + kw lies inside the image.</summary>
    private (int From, int To) ValidColumns(int kw)
    {
        var shift = Padding - kw;
        var from = shift <= 0 ? 0 : (shift + Stride - 1) / Stride;
        var lastInside = Width - 1 + shift;
        var to = lastInside < 0 ? 0 : Math.Min(OutWidth, (lastInside / Stride) + 1);
        return (from, Math.Max(from, to));
    }
}
