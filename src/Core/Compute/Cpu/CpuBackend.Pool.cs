using System.Runtime.CompilerServices;
using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Max pooling, planes split across the team. Backward recomputes each window's first maximum from x instead of
/// storing indices, which keeps the interface free of an index tensor and costs one more read of x.
/// </summary>
public sealed partial class CpuBackend
{
    public void MaxPoolForward(Tensor x, Tensor y, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(y, planes * g.OutputPlane, "max-pool output");
        ParallelRanges(planes, g.InputPlane, new PoolIo(x, y, g), static (in PoolIo io, int first, int last) =>
        {
            var window = new PoolWindow(io.Geometry);
            for (var pl = first; pl < last; pl++)
            {
                var src = io.Input.Span.Slice(pl * window.InputPlane, window.InputPlane);
                var dst = io.Output.Span.Slice(pl * window.OutputPlane, window.OutputPlane);
                if (window.IsTwoByTwoStrideTwo)
                {
                    window.MaxTwoByTwo(src, dst);
                    continue;
                }

                for (var oy = 0; oy < window.OutHeight; oy++)
                {
                    for (var ox = 0; ox < window.OutWidth; ox++)
                    {
                        dst[(oy * window.OutWidth) + ox] = src[window.ArgMax(src, oy, ox)];
                    }
                }
            }
        });
    }

    public void MaxPoolBackward(Tensor x, Tensor dy, Tensor dx, ConvGeometry g)
    {
        var planes = PoolPlanes(x, g);
        RequireLength(dy, planes * g.OutputPlane, "max-pool output gradient");
        RequireSameLength(x, dx, "max-pool input gradient");
        ParallelRanges(planes, g.InputPlane, new PoolGradIo(x, dy, dx, g), static (in PoolGradIo io, int first, int last) =>
        {
            var window = new PoolWindow(io.Geometry);
            for (var pl = first; pl < last; pl++)
            {
                var src = io.Input.Span.Slice(pl * window.InputPlane, window.InputPlane);
                var grad = io.OutputGrad.Span.Slice(pl * window.OutputPlane, window.OutputPlane);
                var dst = io.InputGrad.Span.Slice(pl * window.InputPlane, window.InputPlane);
                if (window.IsTwoByTwoStrideTwo)
                {
                    // Windows tile the plane except an odd last row or column, which gets no gradient.
                    if (window.LeavesAnEdge)
                    {
                        dst.Clear();
                    }

                    window.RouteTwoByTwo(src, grad, dst);
                    continue;
                }

                dst.Clear();

                for (var oy = 0; oy < window.OutHeight; oy++)
                {
                    for (var ox = 0; ox < window.OutWidth; ox++)
                    {
                        dst[window.ArgMax(src, oy, ox)] += grad[(oy * window.OutWidth) + ox];
                    }
                }
            }
        });
    }

    private readonly record struct PoolIo(Tensor Input, Tensor Output, ConvGeometry Geometry);

    private readonly record struct PoolGradIo(Tensor Input, Tensor OutputGrad, Tensor InputGrad, ConvGeometry Geometry);

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

    /// <summary>
    /// A pooling window over the plain-field shape of <see cref="ConvWindow"/>: <see cref="ConvGeometry"/> computes
    /// output sizes with divisions on every access, which in the per-output loop cost more than the comparisons.
    /// </summary>
    private readonly struct PoolWindow(ConvGeometry g)
    {
        private readonly ConvWindow _shape = new(g);

        public int OutHeight => _shape.OutHeight;

        public int OutWidth => _shape.OutWidth;

        public int InputPlane => _shape.InputPlane;

        public int OutputPlane => _shape.OutputPlane;

        private int Width => _shape.Width;

        private int Stride => _shape.Stride;

        private int KernelH => _shape.KernelH;

        private int KernelW => _shape.KernelW;

        /// <summary>The usual 2×2 window with stride 2 (no overlap), which gets a branch-light path.</summary>
        public bool IsTwoByTwoStrideTwo => KernelH == 2 && KernelW == 2 && Stride == 2;

        public bool LeavesAnEdge => 2 * OutHeight != InputPlane / Width || 2 * OutWidth != Width;

        /// <summary>
        /// Each 2×2 maximum. MathF.Max returns NaN when either input is NaN, which gives the same value as the first
        /// maximum with NaN winning; only the backward pass needs to know which element it was.
        /// </summary>
        public void MaxTwoByTwo(ReadOnlySpan<float> src, Span<float> dst)
        {
            for (var oy = 0; oy < OutHeight; oy++)
            {
                var r0 = src.Slice(2 * oy * Width, Width);
                var r1 = src.Slice(((2 * oy) + 1) * Width, Width);
                var line = dst.Slice(oy * OutWidth, OutWidth);
                var ox = PoolTwoByTwoAvx.IsSupported ? PoolTwoByTwoAvx.MaxRow(r0, r1, line) : 0;
                for (; ox < line.Length; ox++)
                {
                    var i = 2 * ox;
                    line[ox] = MathF.Max(MathF.Max(r0[i], r0[i + 1]), MathF.Max(r1[i], r1[i + 1]));
                }
            }
        }

        /// <summary>
        /// Routes each gradient to the first maximum of its 2×2 window and zero to the other three. Windows do not
        /// overlap, so every covered element is written once; the choice is made with bit masks rather than branches,
        /// because which of four random activations is largest is exactly what a branch predictor cannot guess.
        /// </summary>
        public void RouteTwoByTwo(ReadOnlySpan<float> src, ReadOnlySpan<float> grad, Span<float> dst)
        {
            for (var oy = 0; oy < OutHeight; oy++)
            {
                var top = 2 * oy * Width;
                var bottom = top + Width;
                var ox = PoolTwoByTwoAvx.IsSupported
                    ? PoolTwoByTwoAvx.RouteRow(src.Slice(top, Width), src.Slice(bottom, Width), grad.Slice(oy * OutWidth, OutWidth), dst.Slice(top, Width), dst.Slice(bottom, Width))
                    : 0;
                for (; ox < OutWidth; ox++)
                {
                    var i = 2 * ox;
                    float a = src[top + i], b = src[top + i + 1], c = src[bottom + i], d = src[bottom + i + 1];
                    var g = grad[(oy * OutWidth) + ox];
                    var m = MathF.Max(MathF.Max(a, b), MathF.Max(c, d));
                    if (float.IsNaN(m))
                    {
                        dst[top + i] = dst[top + i + 1] = dst[bottom + i] = dst[bottom + i + 1] = 0f;
                        dst[ArgMax(src, oy, ox)] = g;
                        continue;
                    }

                    var isA = a == m;
                    var isB = !isA & (b == m);
                    var isC = !isA & !isB & (c == m);
                    var isD = !isA & !isB & !isC;
                    dst[top + i] = Keep(g, isA);
                    dst[top + i + 1] = Keep(g, isB);
                    dst[bottom + i] = Keep(g, isC);
                    dst[bottom + i + 1] = Keep(g, isD);
                }
            }
        }

        /// <summary>g when keep, else +0, without a branch (a multiply by 0 would turn an infinite g into NaN).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static float Keep(float g, bool keep) =>
            BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(g) & -Unsafe.BitCast<bool, byte>(keep));

        /// <summary>Index in the plane of the first largest value in window (oy, ox); NaN wins, as in PyTorch.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int ArgMax(ReadOnlySpan<float> plane, int oy, int ox)
        {
            var start = (oy * Stride * Width) + (ox * Stride);
            var best = start;
            var bestValue = plane[start];
            if (KernelH == 2 && KernelW == 2)
            {
                // The common 2×2 window, unrolled: the same visiting order as the loop below.
                Consider(plane, start + 1, ref best, ref bestValue);
                Consider(plane, start + Width, ref best, ref bestValue);
                Consider(plane, start + Width + 1, ref best, ref bestValue);
                return best;
            }

            for (var ky = 0; ky < KernelH; ky++)
            {
                var row = start + (ky * Width);
                for (var kx = 0; kx < KernelW; kx++)
                {
                    Consider(plane, row + kx, ref best, ref bestValue);
                }
            }

            return best;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Consider(ReadOnlySpan<float> plane, int at, ref int best, ref float bestValue)
        {
            var v = plane[at];
            if (v > bestValue || (float.IsNaN(v) && !float.IsNaN(bestValue)))
            {
                best = at;
                bestValue = v;
            }
        }
    }
}
