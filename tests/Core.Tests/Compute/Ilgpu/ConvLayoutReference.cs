using Distributed.Core.Compute;

namespace Distributed.Core.Tests.Compute.Ilgpu;

/// <summary>
/// Plain twins of <see cref="Distributed.Core.Compute.Ilgpu.ConvKernels"/>, written from the definitions: loops over
/// the output of each, with col2im in scatter form (the kernel gathers) visiting the same terms in the same order.
/// </summary>
internal static class ConvLayoutReference
{
    /// <summary>columns[(c·KH + kh)·KW + kw, n·P + oy·OW + ox] = x[n, c, oy·S − pad + kh, ox·S − pad + kw], 0 in the padding.</summary>
    public static float[] Im2Col(float[] x, ConvGeometry g, int batch)
    {
        var width = batch * g.OutputPlane;
        var columns = new float[g.PatchSize * width];
        for (var c = 0; c < g.Channels; c++)
        {
            for (var kh = 0; kh < g.KernelH; kh++)
            {
                for (var kw = 0; kw < g.KernelW; kw++)
                {
                    var row = (((c * g.KernelH) + kh) * g.KernelW) + kw;
                    for (var n = 0; n < batch; n++)
                    {
                        for (var oy = 0; oy < g.OutHeight; oy++)
                        {
                            for (var ox = 0; ox < g.OutWidth; ox++)
                            {
                                var iy = (oy * g.Stride) - g.Padding + kh;
                                var ix = (ox * g.Stride) - g.Padding + kw;
                                var inside = iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width;
                                columns[(row * width) + (n * g.OutputPlane) + (oy * g.OutWidth) + ox] =
                                    inside ? x[(((((n * g.Channels) + c) * g.Height) + iy) * g.Width) + ix] : 0f;
                            }
                        }
                    }
                }
            }
        }

        return columns;
    }

    /// <summary>dx[n, c, iy, ix] += every column entry Im2Col copied from it, rows in ascending order.</summary>
    public static float[] Col2Im(float[] columns, ConvGeometry g, int batch)
    {
        var width = batch * g.OutputPlane;
        var dx = new float[batch * g.Channels * g.InputPlane];
        for (var c = 0; c < g.Channels; c++)
        {
            for (var kh = 0; kh < g.KernelH; kh++)
            {
                for (var kw = 0; kw < g.KernelW; kw++)
                {
                    var row = (((c * g.KernelH) + kh) * g.KernelW) + kw;
                    for (var n = 0; n < batch; n++)
                    {
                        for (var oy = 0; oy < g.OutHeight; oy++)
                        {
                            for (var ox = 0; ox < g.OutWidth; ox++)
                            {
                                var iy = (oy * g.Stride) - g.Padding + kh;
                                var ix = (ox * g.Stride) - g.Padding + kw;
                                if (iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width)
                                {
                                    dx[(((((n * g.Channels) + c) * g.Height) + iy) * g.Width) + ix] +=
                                        columns[(row * width) + (n * g.OutputPlane) + (oy * g.OutWidth) + ox];
                                }
                            }
                        }
                    }
                }
            }
        }

        return dx;
    }

    /// <summary>y[n, c, p] = rows[c, n·plane + p] + bias[c].</summary>
    public static float[] RowsToBatchAddBias(float[] rows, float[] bias, int channels, int batch, int plane)
    {
        var y = new float[channels * batch * plane];
        for (var n = 0; n < batch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                for (var p = 0; p < plane; p++)
                {
                    y[(((n * channels) + c) * plane) + p] = rows[(c * batch * plane) + (n * plane) + p] + bias[c];
                }
            }
        }

        return y;
    }

    /// <summary>rows[c, n·plane + p] = dy[n, c, p].</summary>
    public static float[] BatchToRows(float[] dy, int channels, int batch, int plane)
    {
        var rows = new float[channels * batch * plane];
        for (var n = 0; n < batch; n++)
        {
            for (var c = 0; c < channels; c++)
            {
                for (var p = 0; p < plane; p++)
                {
                    rows[(c * batch * plane) + (n * plane) + p] = dy[(((n * channels) + c) * plane) + p];
                }
            }
        }

        return rows;
    }

    /// <summary>sums[c] + Σ_j rows[c, j], in double.</summary>
    public static double[] AccumulateRowSums(float[] rows, int channels, int length, float[] sums)
    {
        var result = new double[channels];
        for (var c = 0; c < channels; c++)
        {
            double total = sums[c];
            for (var j = 0; j < length; j++)
            {
                total += rows[(c * length) + j];
            }

            result[c] = total;
        }

        return result;
    }
}
