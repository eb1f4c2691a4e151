using ILGPU;
using ILGPU.Runtime;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Average pooling on a device (no padding, as on the CPU backend). Forward is one thread per output; backward one
/// thread per input element, gathering from the windows that contain it, so overlapping windows need no atomics.
/// Methods only enqueue on the given stream; nothing here synchronizes.
/// </summary>
internal sealed class AvgPoolKernels
{
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, WindowShape, ArrayView<float>> _forward;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, WindowShape, ArrayView<float>> _backward;

    public AvgPoolKernels(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        _forward = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, WindowShape, ArrayView<float>>(ForwardKernel);
        _backward = accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, WindowShape, ArrayView<float>>(BackwardKernel);
    }

    /// <summary>y (planes × OutputPlane) = each window's mean over x (planes × InputPlane).</summary>
    public void Forward(AcceleratorStream stream, ArrayView<float> x, ConvGeometry g, int planes, ArrayView<float> y)
    {
        var shape = Shape(g, planes);
        LaunchChecks.RequireLength(x, LaunchChecks.Count("average-pool input", planes, g.InputPlane), "average-pool input");
        var count = LaunchChecks.Count("average-pool output", planes, g.OutputPlane);
        LaunchChecks.RequireLength(y, count, "average-pool output");
        _forward(stream, count, x, shape, y);
    }

    /// <summary>Overwrites dx (planes × InputPlane) with the sum of dy / area over the windows covering each element.</summary>
    public void Backward(AcceleratorStream stream, ArrayView<float> dy, ConvGeometry g, int planes, ArrayView<float> dx)
    {
        var shape = Shape(g, planes);
        var count = LaunchChecks.Count("average-pool input", planes, g.InputPlane);
        LaunchChecks.RequireLength(dy, LaunchChecks.Count("average-pool output", planes, g.OutputPlane), "average-pool output gradient");
        LaunchChecks.RequireLength(dx, count, "average-pool input gradient");
        _backward(stream, count, dy, shape, dx);
    }

    private static WindowShape Shape(ConvGeometry g, int planes)
    {
        var shape = new WindowShape(g);
        if (g.Padding != 0)
        {
            throw new ArgumentException($"average-pool padding is not supported (padding {g.Padding}), as on the CPU backend");
        }

        LaunchChecks.RequirePositive(planes, nameof(planes));
        return shape;
    }

    internal static void ForwardKernel(Index1D index, ArrayView<float> x, WindowShape s, ArrayView<float> y)
    {
        int i = index;
        var plane = i / s.OutputPlane;
        var p = i - (plane * s.OutputPlane);
        var oy = p / s.OutWidth;
        var ox = p - (oy * s.OutWidth);
        var start = (plane * s.InputPlane) + (oy * s.Stride * s.Width) + (ox * s.Stride);
        var sum = 0f;
        for (var ky = 0; ky < s.KernelH; ky++)
        {
            for (var kx = 0; kx < s.KernelW; kx++)
            {
                sum += x[start + (ky * s.Width) + kx];
            }
        }

        y[i] = sum / s.KernelArea;
    }

    internal static void BackwardKernel(Index1D index, ArrayView<float> dy, WindowShape s, ArrayView<float> dx)
    {
        int i = index;
        var plane = i / s.InputPlane;
        var q = i - (plane * s.InputPlane);
        var h = q / s.Width;
        var w = q - (h * s.Width);
        var gradStart = plane * s.OutputPlane;

        // Window oy covers rows [oy·S, oy·S + KH): those with oy·S ≤ h < oy·S + KH, clipped to the output.
        var oyFirst = h < s.KernelH ? 0 : ((h - s.KernelH) / s.Stride) + 1;
        var oyLast = Math.Min(h / s.Stride, s.OutHeight - 1);
        var oxFirst = w < s.KernelW ? 0 : ((w - s.KernelW) / s.Stride) + 1;
        var oxLast = Math.Min(w / s.Stride, s.OutWidth - 1);
        var inverseArea = 1f / s.KernelArea;
        var sum = 0f;
        for (var oy = oyFirst; oy <= oyLast; oy++)
        {
            for (var ox = oxFirst; ox <= oxLast; ox++)
            {
                sum += dy[gradStart + (oy * s.OutWidth) + ox] * inverseArea;
            }
        }

        dx[i] = sum;
    }
}
