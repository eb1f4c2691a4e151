using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// The data movement around a device convolution done as one GEMM over the whole batch: im2col of the batch into
/// a K × (N·P) columns matrix (K = C·KH·KW, P = output positions), the permutes between that GEMM's
/// channel-major output and NCHW, the col2im fold of the column gradient, and the bias gradient's row sums.
/// Methods only enqueue on the given stream; nothing here synchronizes. Every result is summed in a fixed order
/// (no atomics), so a step gives bitwise the same numbers on every run.
/// </summary>
internal sealed class ConvKernels
{
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, WindowShape, int, ArrayView<float>> _im2Col;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, WindowShape, int, ArrayView<float>> _col2Im;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, int, int, int, ArrayView<float>> _rowsToBatch;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, int, int, int, ArrayView<float>> _batchToRows;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, int, ArrayView<float>> _rowSums;

    public ConvKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.MaxNumThreadsPerGroup < IlgpuDevices.GroupSize)
        {
            throw new ArgumentException($"{accelerator.Name} allows {accelerator.MaxNumThreadsPerGroup} threads per group; the row sums need {IlgpuDevices.GroupSize}");
        }

        _im2Col = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, WindowShape, int, ArrayView<float>>(Im2ColKernel);
        _col2Im = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, WindowShape, int, ArrayView<float>>(Col2ImKernel);
        _rowsToBatch = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, ArrayView<float>>(RowsToBatchAddBiasKernel);
        _batchToRows = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, int, int, int, ArrayView<float>>(BatchToRowsKernel);
        _rowSums = accelerator.LoadKernel<ArrayView<float>, int, ArrayView<float>>(RowSumsKernel);
    }

    /// <summary>
    /// columns[r, n·P + p] = x[n, c, oy·S − pad + kh, ox·S − pad + kw] with r = (c·KH + kh)·KW + kw and
    /// p = oy·OutWidth + ox, zero where the window hits padding. columns is K × (batch·P), row-major.
    /// </summary>
    public void Im2Col(AcceleratorStream stream, ArrayView<float> x, ConvGeometry g, int batch, ArrayView<float> columns)
    {
        var shape = new WindowShape(g);
        LaunchChecks.RequirePositive(batch, nameof(batch));
        LaunchChecks.RequireLength(x, LaunchChecks.Count("conv input", batch, g.Channels, g.InputPlane), "im2col input");
        var width = LaunchChecks.Count("columns row", batch, g.OutputPlane);
        var count = LaunchChecks.Count("columns", g.PatchSize, width);
        LaunchChecks.RequireLength(columns, count, "im2col columns");
        _im2Col(stream, count, x, shape, width, columns);
    }

    /// <summary>
    /// The adjoint of <see cref="Im2Col"/>, overwriting dx: each input element sums the column entries copied
    /// from it, visiting (kh, kw) in ascending order, the order the CPU backend's col2im adds them in.
    /// </summary>
    public void Col2Im(AcceleratorStream stream, ArrayView<float> columns, ConvGeometry g, int batch, ArrayView<float> dx)
    {
        var shape = new WindowShape(g);
        LaunchChecks.RequirePositive(batch, nameof(batch));
        var width = LaunchChecks.Count("columns row", batch, g.OutputPlane);
        LaunchChecks.RequireLength(columns, LaunchChecks.Count("columns", g.PatchSize, width), "col2im columns");
        var count = LaunchChecks.Count("conv input gradient", batch, g.Channels, g.InputPlane);
        LaunchChecks.RequireLength(dx, count, "col2im input gradient");
        _col2Im(stream, count, columns, shape, width, dx);
    }

    /// <summary>y[n, c, p] = rows[c, n·plane + p] + bias[c]: the GEMM's channel-major output to NCHW.</summary>
    public void RowsToBatchAddBias(AcceleratorStream stream, ArrayView<float> rows, ArrayView<float> bias, int channels, int batch, int plane, ArrayView<float> y)
    {
        var count = LayoutCount(channels, batch, plane);
        LaunchChecks.RequireLength(rows, count, "conv GEMM output");
        LaunchChecks.RequireLength(bias, channels, "conv bias");
        LaunchChecks.RequireLength(y, count, "conv output");
        _rowsToBatch(stream, count, rows, bias, channels, plane, batch * plane, y);
    }

    /// <summary>rows[c, n·plane + p] = dy[n, c, p]: NCHW to channel-major, the layout the weight-gradient GEMM reads.</summary>
    public void BatchToRows(AcceleratorStream stream, ArrayView<float> dy, int channels, int batch, int plane, ArrayView<float> rows)
    {
        var count = LayoutCount(channels, batch, plane);
        LaunchChecks.RequireLength(dy, count, "conv output gradient");
        LaunchChecks.RequireLength(rows, count, "channel-major rows");
        _batchToRows(stream, count, dy, channels, plane, batch * plane, rows);
    }

    /// <summary>
    /// sums[c] += Σ_j rows[c, j] over j in [0, length). One group of <see cref="IlgpuDevices.GroupSize"/> threads
    /// per row: a row of a batch's gradient is ~10⁵ floats, too long for one thread, and a group reads it
    /// coalesced. Each thread sums a fixed stride of the row, then a fixed tree adds the partials: deterministic.
    /// </summary>
    public void AccumulateRowSums(AcceleratorStream stream, ArrayView<float> rows, int channels, int length, ArrayView<float> sums)
    {
        LaunchChecks.RequirePositive(channels, nameof(channels));
        LaunchChecks.RequirePositive(length, nameof(length));
        LaunchChecks.RequireLength(rows, LaunchChecks.Count("rows", channels, length), "row-sum input");
        LaunchChecks.RequireLength(sums, channels, "row sums");
        _rowSums(stream, new KernelConfig(channels, IlgpuDevices.GroupSize), rows, length, sums);
    }

    private static int LayoutCount(int channels, int batch, int plane)
    {
        LaunchChecks.RequirePositive(channels, nameof(channels));
        LaunchChecks.RequirePositive(batch, nameof(batch));
        LaunchChecks.RequirePositive(plane, nameof(plane));
        return LaunchChecks.Count("conv activations", channels, batch, plane);
    }

    /// <summary>One thread per column entry, consecutive threads along a row: the writes coalesce.</summary>
    internal static void Im2ColKernel(Index1D index, ArrayView<float> x, WindowShape s, int width, ArrayView<float> columns)
    {
        int i = index;
        var r = i / width;
        var j = i - (r * width);
        var n = j / s.OutputPlane;
        var p = j - (n * s.OutputPlane);
        var oy = p / s.OutWidth;
        var ox = p - (oy * s.OutWidth);
        var c = r / s.KernelArea;
        var k = r - (c * s.KernelArea);
        var kh = k / s.KernelW;
        var kw = k - (kh * s.KernelW);
        var iy = (oy * s.Stride) - s.Padding + kh;
        var ix = (ox * s.Stride) - s.Padding + kw;
        var inside = iy >= 0 && iy < s.Height && ix >= 0 && ix < s.Width;
        columns[i] = inside ? x[((((n * s.Channels) + c) * s.Height) + iy) * s.Width + ix] : 0f;
    }

    /// <summary>
    /// One thread per input element. Kernel row kh reaches input row h from output row oy = (h + pad − kh) / S
    /// when that divides exactly, so kh starts at (h + pad) mod S and steps by S while oy steps down by one:
    /// no division inside the loops.
    /// </summary>
    internal static void Col2ImKernel(Index1D index, ArrayView<float> columns, WindowShape s, int width, ArrayView<float> dx)
    {
        int i = index;
        var t = i / s.Width;
        var w = i - (t * s.Width);
        var h = t % s.Height;
        t /= s.Height;
        var c = t % s.Channels;
        var n = t / s.Channels;
        var h0 = h + s.Padding;
        var w0 = w + s.Padding;
        var kw0 = w0 % s.Stride;
        var ox0 = w0 / s.Stride;
        var sampleColumn = n * s.OutputPlane;
        var sum = 0f;
        for (int kh = h0 % s.Stride, oy = h0 / s.Stride; kh < s.KernelH && oy >= 0; kh += s.Stride, oy--)
        {
            if (oy >= s.OutHeight)
            {
                continue;
            }

            var rowStart = (((c * s.KernelH) + kh) * s.KernelW * width) + sampleColumn + (oy * s.OutWidth);
            for (int kw = kw0, ox = ox0; kw < s.KernelW && ox >= 0; kw += s.Stride, ox--)
            {
                if (ox < s.OutWidth)
                {
                    sum += columns[rowStart + (kw * width) + ox];
                }
            }
        }

        dx[i] = sum;
    }

    /// <summary>One thread per output element in NCHW order, so the writes coalesce.</summary>
    internal static void RowsToBatchAddBiasKernel(Index1D index, ArrayView<float> rows, ArrayView<float> bias, int channels, int plane, int width, ArrayView<float> y)
    {
        int i = index;
        var t = i / plane;
        var p = i - (t * plane);
        var n = t / channels;
        var c = t - (n * channels);
        y[i] = rows[(c * width) + (n * plane) + p] + bias[c];
    }

    /// <summary>One thread per channel-major element, so the writes coalesce.</summary>
    internal static void BatchToRowsKernel(Index1D index, ArrayView<float> dy, int channels, int plane, int width, ArrayView<float> rows)
    {
        int i = index;
        var c = i / width;
        var j = i - (c * width);
        var n = j / plane;
        var p = j - (n * plane);
        rows[i] = dy[((n * channels) + c) * plane + p];
    }

    /// <summary>One group per row: strided partial sums, then a shared-memory tree in a fixed order.</summary>
    internal static void RowSumsKernel(ArrayView<float> rows, int length, ArrayView<float> sums)
    {
        var partials = SharedMemory.Allocate<float>(IlgpuDevices.GroupSize);
        var row = Grid.IdxX;
        var thread = Group.IdxX;
        var start = row * length;
        var sum = 0f;
        for (var j = thread; j < length; j += IlgpuDevices.GroupSize)
        {
            sum += rows[start + j];
        }

        partials[thread] = sum;
        Group.Barrier();
        for (var half = IlgpuDevices.GroupSize / 2; half > 0; half >>= 1)
        {
            if (thread < half)
            {
                partials[thread] += partials[thread + half];
            }

            Group.Barrier();
        }

        if (thread == 0)
        {
            sums[row] += partials[0];
        }
    }
}
