using Distributed.Core.Compute;

namespace Distributed.Core.Tests.Compute;

/// <summary>
/// Plain, obviously correct twins of the backend kernels, written straight from the definitions with double
/// accumulation. They are the oracles the backend tests compare against.
/// </summary>
internal static class ReferenceKernels
{
    /// <summary>
    /// C = alpha·op(A)·op(B) + beta·C0, plus Σ|terms| per element (the scale a float32 rounding error is relative to).
    /// </summary>
    public static (double[] C, double[] Magnitude) Gemm(
        bool transposeA, bool transposeB, int m, int n, int k, double alpha, float[] a, float[] b, double beta, float[] c0)
    {
        var c = new double[m * n];
        var magnitude = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                double abs = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transposeA ? a[(p * m) + i] : a[(i * k) + p];
                    var bv = transposeB ? b[(j * k) + p] : b[(p * n) + j];
                    sum += (double)av * bv;
                    abs += Math.Abs((double)av * bv);
                }

                var start = beta == 0 ? 0 : beta * c0[(i * n) + j];
                c[(i * n) + j] = (alpha * sum) + start;
                magnitude[(i * n) + j] = (Math.Abs(alpha) * abs) + Math.Abs(start);
            }
        }

        return (c, magnitude);
    }

    /// <summary>x[s, c, iy, ix], or 0 in the zero padding.</summary>
    private static double Input(float[] x, ConvGeometry g, int s, int c, int iy, int ix) =>
        iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width
            ? 0
            : x[(((s * g.Channels) + c) * g.Height + iy) * g.Width + ix];

    private static int WeightIndex(ConvGeometry g, int co, int c, int kh, int kw) =>
        (((co * g.Channels) + c) * g.KernelH + kh) * g.KernelW + kw;

    private static int OutputIndex(ConvGeometry g, int cout, int s, int co, int oy, int ox) =>
        (((s * cout) + co) * g.OutHeight + oy) * g.OutWidth + ox;

    /// <summary>Direct convolution: y[s, co, oy, ox] = bias[co] + Σ w[co, c, kh, kw] · x[s, c, oy·S − P + kh, ox·S − P + kw].</summary>
    public static double[] Conv2dForward(float[] x, float[] weight, float[] bias, ConvGeometry g, int batch, int cout)
    {
        var y = new double[batch * cout * g.OutputPlane];
        for (var s = 0; s < batch; s++)
        {
            for (var co = 0; co < cout; co++)
            {
                for (var oy = 0; oy < g.OutHeight; oy++)
                {
                    for (var ox = 0; ox < g.OutWidth; ox++)
                    {
                        double sum = bias[co];
                        for (var c = 0; c < g.Channels; c++)
                        {
                            for (var kh = 0; kh < g.KernelH; kh++)
                            {
                                for (var kw = 0; kw < g.KernelW; kw++)
                                {
                                    var xv = Input(x, g, s, c, (oy * g.Stride) - g.Padding + kh, (ox * g.Stride) - g.Padding + kw);
                                    sum += weight[WeightIndex(g, co, c, kh, kw)] * xv;
                                }
                            }
                        }

                        y[OutputIndex(g, cout, s, co, oy, ox)] = sum;
                    }
                }
            }
        }

        return y;
    }

    /// <summary>The gradients of the direct convolution, each output gradient scattered to what produced it.</summary>
    public static (double[] WeightGrad, double[] BiasGrad, double[] InputGrad) Conv2dBackward(
        float[] x, float[] weight, float[] dy, ConvGeometry g, int batch, int cout)
    {
        var dw = new double[weight.Length];
        var db = new double[cout];
        var dx = new double[x.Length];
        for (var s = 0; s < batch; s++)
        {
            for (var co = 0; co < cout; co++)
            {
                for (var oy = 0; oy < g.OutHeight; oy++)
                {
                    for (var ox = 0; ox < g.OutWidth; ox++)
                    {
                        double d = dy[OutputIndex(g, cout, s, co, oy, ox)];
                        db[co] += d;
                        for (var c = 0; c < g.Channels; c++)
                        {
                            for (var kh = 0; kh < g.KernelH; kh++)
                            {
                                for (var kw = 0; kw < g.KernelW; kw++)
                                {
                                    var iy = (oy * g.Stride) - g.Padding + kh;
                                    var ix = (ox * g.Stride) - g.Padding + kw;
                                    var wi = WeightIndex(g, co, c, kh, kw);
                                    dw[wi] += d * Input(x, g, s, c, iy, ix);
                                    if (iy >= 0 && iy < g.Height && ix >= 0 && ix < g.Width)
                                    {
                                        dx[(((s * g.Channels) + c) * g.Height + iy) * g.Width + ix] += d * weight[wi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        return (dw, db, dx);
    }

    /// <summary>For each window of each plane, the plane index of its first largest input (row-major scan).</summary>
    public static int[] MaxPoolArgMax(float[] x, ConvGeometry g)
    {
        var planes = x.Length / g.InputPlane;
        var arg = new int[planes * g.OutputPlane];
        for (var pl = 0; pl < planes; pl++)
        {
            for (var oy = 0; oy < g.OutHeight; oy++)
            {
                for (var ox = 0; ox < g.OutWidth; ox++)
                {
                    var best = -1;
                    for (var ky = 0; ky < g.KernelH; ky++)
                    {
                        for (var kx = 0; kx < g.KernelW; kx++)
                        {
                            var i = (pl * g.InputPlane) + ((oy * g.Stride) + ky) * g.Width + (ox * g.Stride) + kx;
                            if (best < 0 || x[i] > x[best])
                            {
                                best = i;
                            }
                        }
                    }

                    arg[(pl * g.OutputPlane) + (oy * g.OutWidth) + ox] = best;
                }
            }
        }

        return arg;
    }

    public static float[] MaxPoolForward(float[] x, ConvGeometry g) =>
        MaxPoolArgMax(x, g).Select(i => x[i]).ToArray();

    /// <summary>dx[argmax of window] += dy[window]; every other input gets 0.</summary>
    public static double[] MaxPoolBackward(float[] x, float[] dy, ConvGeometry g)
    {
        var arg = MaxPoolArgMax(x, g);
        var dx = new double[x.Length];
        for (var o = 0; o < arg.Length; o++)
        {
            dx[arg[o]] += dy[o];
        }

        return dx;
    }
}
