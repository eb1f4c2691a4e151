using System.Numerics;
using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// LeakyReLU, tanh, sigmoid and GELU over Vector&lt;float&gt; lanes (tanh and the sigmoid through TensorPrimitives),
/// split across the team. GELU needs tanh of a polynomial of x, so it works through blocks that fit a stack buffer:
/// nothing is allocated and y may be x.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>Elements per stack block of the GELU kernels: 4 KB, far below any thread's stack.</summary>
    private const int GeluBlock = 1024;

    public void ActivationForward(ActivationFunction f, Tensor x, Tensor y)
    {
        RequireSameLength(x, y, "activation");
        ParallelRanges(x.Length, 8, (f, x, y), static (in (ActivationFunction F, Tensor X, Tensor Y) a, int start, int end) =>
        {
            var xs = a.X.Span[start..end];
            var ys = a.Y.Span[start..end];
            switch (a.F.Kind)
            {
                case ActivationKind.LeakyRelu:
                    LeakyForward(xs, ys, a.F.Slope);
                    break;
                case ActivationKind.Tanh:
                    TensorPrimitives.Tanh(xs, ys);
                    break;
                case ActivationKind.Sigmoid:
                    TensorPrimitives.Sigmoid(xs, ys);
                    break;
                case ActivationKind.Gelu:
                    GeluForward(xs, ys);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(f), a.F.Kind, "unknown activation");
            }
        });
    }

    public void ActivationBackward(ActivationFunction f, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        RequireSameLength(x, y, "activation backward");
        RequireSameLength(x, dy, "activation backward");
        RequireSameLength(x, dx, "activation backward");
        ParallelRanges(x.Length, 8, (f, x, y, dy, dx), static (in (ActivationFunction F, Tensor X, Tensor Y, Tensor Dy, Tensor Dx) a, int start, int end) =>
        {
            var xs = a.X.Span[start..end];
            var ys = a.Y.Span[start..end];
            var dys = a.Dy.Span[start..end];
            var dxs = a.Dx.Span[start..end];
            switch (a.F.Kind)
            {
                case ActivationKind.LeakyRelu:
                    LeakyBackward(xs, dys, dxs, a.F.Slope);
                    break;
                case ActivationKind.Tanh:
                    TanhBackward(ys, dys, dxs);
                    break;
                case ActivationKind.Sigmoid:
                    SigmoidBackward(ys, dys, dxs);
                    break;
                case ActivationKind.Gelu:
                    GeluBackward(xs, dys, dxs);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(f), a.F.Kind, "unknown activation");
            }
        });
    }

    private static void LeakyForward(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        var w = Vector<float>.Count;
        var i = 0;
        for (; i + w <= x.Length; i += w)
        {
            var v = new Vector<float>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * slope).CopyTo(y[i..]);
        }

        for (; i < x.Length; i++)
        {
            y[i] = x[i] > 0f ? x[i] : x[i] * slope;
        }
    }

    private static void LeakyBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, float slope)
    {
        var w = Vector<float>.Count;
        var i = 0;
        for (; i + w <= x.Length; i += w)
        {
            var g = new Vector<float>(dy[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(new Vector<float>(x[i..]), Vector<float>.Zero), g, g * slope).CopyTo(dx[i..]);
        }

        for (; i < x.Length; i++)
        {
            dx[i] = x[i] > 0f ? dy[i] : dy[i] * slope;
        }
    }

    /// <summary>dx = dy·(1 − y²).</summary>
    private static void TanhBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var w = Vector<float>.Count;
        var i = 0;
        for (; i + w <= y.Length; i += w)
        {
            var v = new Vector<float>(y[i..]);
            (new Vector<float>(dy[i..]) * (Vector<float>.One - (v * v))).CopyTo(dx[i..]);
        }

        for (; i < y.Length; i++)
        {
            dx[i] = dy[i] * (1f - (y[i] * y[i]));
        }
    }

    /// <summary>dx = dy·y·(1 − y).</summary>
    private static void SigmoidBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
    {
        var w = Vector<float>.Count;
        var i = 0;
        for (; i + w <= y.Length; i += w)
        {
            var v = new Vector<float>(y[i..]);
            (new Vector<float>(dy[i..]) * v * (Vector<float>.One - v)).CopyTo(dx[i..]);
        }

        for (; i < y.Length; i++)
        {
            dx[i] = dy[i] * y[i] * (1f - y[i]);
        }
    }

    /// <summary>y = 0.5·x·(1 + tanh u), u = √(2/π)·(x + 0.044715·x³), a block at a time so that y may alias x.</summary>
    private static void GeluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<float> t = stackalloc float[GeluBlock];
        for (var start = 0; start < x.Length; start += GeluBlock)
        {
            var xs = x.Slice(start, Math.Min(GeluBlock, x.Length - start));
            var ts = t[..xs.Length];
            GeluTanh(xs, ts);
            var ys = y.Slice(start, xs.Length);
            var w = Vector<float>.Count;
            var half = new Vector<float>(0.5f);
            var i = 0;
            for (; i + w <= xs.Length; i += w)
            {
                (half * new Vector<float>(xs[i..]) * (Vector<float>.One + new Vector<float>(ts[i..]))).CopyTo(ys[i..]);
            }

            for (; i < xs.Length; i++)
            {
                ys[i] = 0.5f * xs[i] * (1f + ts[i]);
            }
        }
    }

    /// <summary>dx = dy·(0.5·(1 + t) + 0.5·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh u recomputed from x.</summary>
    private static void GeluBackward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        Span<float> t = stackalloc float[GeluBlock];
        for (var start = 0; start < x.Length; start += GeluBlock)
        {
            var xs = x.Slice(start, Math.Min(GeluBlock, x.Length - start));
            var ts = t[..xs.Length];
            GeluTanh(xs, ts);
            var dys = dy.Slice(start, xs.Length);
            var dxs = dx.Slice(start, xs.Length);
            var w = Vector<float>.Count;
            var half = new Vector<float>(0.5f);
            var scale = new Vector<float>(ActivationFunction.GeluScale);
            var cubic3 = new Vector<float>(3f * ActivationFunction.GeluCubic);
            var i = 0;
            for (; i + w <= xs.Length; i += w)
            {
                var v = new Vector<float>(xs[i..]);
                var tv = new Vector<float>(ts[i..]);
                var slope = (half * (Vector<float>.One + tv)) + (half * v * (Vector<float>.One - (tv * tv)) * scale * (Vector<float>.One + (cubic3 * v * v)));
                (new Vector<float>(dys[i..]) * slope).CopyTo(dxs[i..]);
            }

            for (; i < xs.Length; i++)
            {
                var v = xs[i];
                var tv = ts[i];
                var slope = (0.5f * (1f + tv)) + (0.5f * v * (1f - (tv * tv)) * ActivationFunction.GeluScale * (1f + (3f * ActivationFunction.GeluCubic * v * v)));
                dxs[i] = dys[i] * slope;
            }
        }
    }

    /// <summary>t = tanh(√(2/π)·(x + 0.044715·x³)).</summary>
    private static void GeluTanh(ReadOnlySpan<float> x, Span<float> t)
    {
        var w = Vector<float>.Count;
        var scale = new Vector<float>(ActivationFunction.GeluScale);
        var cubic = new Vector<float>(ActivationFunction.GeluCubic);
        var i = 0;
        for (; i + w <= x.Length; i += w)
        {
            var v = new Vector<float>(x[i..]);
            (scale * (v + (cubic * v * v * v))).CopyTo(t[i..]);
        }

        for (; i < x.Length; i++)
        {
            var v = x[i];
            t[i] = ActivationFunction.GeluScale * (v + (ActivationFunction.GeluCubic * v * v * v));
        }

        TensorPrimitives.Tanh(t, t);
    }
}
