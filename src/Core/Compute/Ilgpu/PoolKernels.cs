using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Max pooling on a device, with the CPU backend's rules: a window's maximum is its first largest element in
/// row-major order, NaN beats any number and the first NaN wins (PyTorch's rule), and backward routes each output
/// gradient to that element. Backward recomputes the choice from x rather than storing indices, as the CPU does.
/// Every plane (one sample's channel) is pooled alike, so the geometry's channel count is not used; padding is
/// rejected, as on the CPU backend. Methods only enqueue on the given stream; nothing here synchronizes.
/// </summary>
internal sealed class PoolKernels
{
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, WindowShape, ArrayView<float>> _forward;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, WindowShape, ArrayView<float>> _backward;

    public PoolKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _forward = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, WindowShape, ArrayView<float>>(ForwardKernel);
        _backward = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, WindowShape, ArrayView<float>>(BackwardKernel);
    }

    /// <summary>y (planes × OutputPlane) = each window's maximum of x (planes × InputPlane).</summary>
    public void MaxPoolForward(AcceleratorStream stream, ArrayView<float> x, ConvGeometry g, int planes, ArrayView<float> y)
    {
        var shape = Shape(g, planes);
        LaunchChecks.RequireLength(x, LaunchChecks.Count("max-pool input", planes, g.InputPlane), "max-pool input");
        var count = LaunchChecks.Count("max-pool output", planes, g.OutputPlane);
        LaunchChecks.RequireLength(y, count, "max-pool output");
        _forward(stream, count, x, shape, y);
    }

    /// <summary>Overwrites dx (planes × InputPlane): each dy goes to its window's first maximum, the rest get 0.</summary>
    public void MaxPoolBackward(AcceleratorStream stream, ArrayView<float> x, ArrayView<float> dy, ConvGeometry g, int planes, ArrayView<float> dx)
    {
        var shape = Shape(g, planes);
        var count = LaunchChecks.Count("max-pool input", planes, g.InputPlane);
        LaunchChecks.RequireLength(x, count, "max-pool input");
        LaunchChecks.RequireLength(dy, LaunchChecks.Count("max-pool output", planes, g.OutputPlane), "max-pool output gradient");
        LaunchChecks.RequireLength(dx, count, "max-pool input gradient");
        _backward(stream, count, x, dy, shape, dx);
    }

    private static WindowShape Shape(ConvGeometry g, int planes)
    {
        var shape = new WindowShape(g);
        if (g.Padding != 0)
        {
            throw new ArgumentException($"max-pool padding is not supported (padding {g.Padding}), as on the CPU backend");
        }

        LaunchChecks.RequirePositive(planes, nameof(planes));
        return shape;
    }

    /// <summary>One thread per output element.</summary>
    internal static void ForwardKernel(Index1D index, ArrayView<float> x, WindowShape s, ArrayView<float> y)
    {
        int i = index;
        var plane = i / s.OutputPlane;
        var p = i - (plane * s.OutputPlane);
        var oy = p / s.OutWidth;
        var ox = p - (oy * s.OutWidth);
        y[i] = x[FirstMax(x, plane * s.InputPlane, s, oy, ox)];
    }

    /// <summary>
    /// One thread per input element, gathering over the windows that contain it (several when stride &lt; kernel)
    /// in row-major window order, so overlapping windows need no atomics and the sum's order is fixed: the order
    /// in which the CPU backend adds them. A window's choice is recomputed by each of its elements' threads.
    /// </summary>
    internal static void BackwardKernel(Index1D index, ArrayView<float> x, ArrayView<float> dy, WindowShape s, ArrayView<float> dx)
    {
        int i = index;
        var plane = i / s.InputPlane;
        var q = i - (plane * s.InputPlane);
        var h = q / s.Width;
        var w = q - (h * s.Width);
        var planeStart = plane * s.InputPlane;
        var gradStart = plane * s.OutputPlane;

        // Window oy covers rows [oy·S, oy·S + KH): those with oy·S ≤ h < oy·S + KH, clipped to the output.
        var oyFirst = h < s.KernelH ? 0 : ((h - s.KernelH) / s.Stride) + 1;
        var oyLast = Math.Min(h / s.Stride, s.OutHeight - 1);
        var oxFirst = w < s.KernelW ? 0 : ((w - s.KernelW) / s.Stride) + 1;
        var oxLast = Math.Min(w / s.Stride, s.OutWidth - 1);
        var sum = 0f;
        for (var oy = oyFirst; oy <= oyLast; oy++)
        {
            for (var ox = oxFirst; ox <= oxLast; ox++)
            {
                if (FirstMax(x, planeStart, s, oy, ox) == i)
                {
                    sum += dy[gradStart + (oy * s.OutWidth) + ox];
                }
            }
        }

        dx[i] = sum;
    }

    /// <summary>
    /// The index in x of window (oy, ox)'s first largest element, NaN winning: the CPU backend's ArgMax. The scan
    /// starts at the window's first element, so visiting it again changes nothing.
    /// </summary>
    private static int FirstMax(ArrayView<float> x, int planeStart, WindowShape s, int oy, int ox)
    {
        var start = planeStart + (oy * s.Stride * s.Width) + (ox * s.Stride);
        var best = start;
        var bestValue = x[start];
        for (var ky = 0; ky < s.KernelH; ky++)
        {
            var row = start + (ky * s.Width);
            for (var kx = 0; kx < s.KernelW; kx++)
            {
                var v = x[row + kx];
                if (v > bestValue || (float.IsNaN(v) && !float.IsNaN(bestValue)))
                {
                    best = row + kx;
                    bestValue = v;
                }
            }
        }

        return best;
    }
}
