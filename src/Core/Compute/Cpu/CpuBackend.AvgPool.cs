using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Average pooling, planes split across the team, a row of windows at a time: forward adds the window's input rows
/// with vector adds into one row, then sums each window's columns of it; backward spreads a row of output
/// gradients over a row of columns once and adds that row to each input row the windows cover.
/// </summary>
public sealed partial class CpuBackend
{
    /// <summary>The widest plane row the pooling kernels keep on the stack (64 KB).</summary>
    private const int MaxPoolRow = 16_384;

    public void AvgPoolForward(Tensor x, Tensor y, ConvGeometry g)
    {
        var planes = AvgPoolPlanes(x, g);
        RequireLength(y, (long)planes * g.OutputPlane, "average-pool output");
        ParallelRanges(planes, g.InputPlane, new PoolIo(x, y, g), static (in PoolIo io, int first, int last) =>
        {
            var window = new ConvWindow(io.Geometry);
            var inverseArea = 1f / (window.KernelH * window.KernelW);
            Span<float> row = stackalloc float[window.Width];
            for (var pl = first; pl < last; pl++)
            {
                var src = io.Input.Span.Slice(pl * window.InputPlane, window.InputPlane);
                var dst = io.Output.Span.Slice(pl * window.OutputPlane, window.OutputPlane);
                for (var oy = 0; oy < window.OutHeight; oy++)
                {
                    var top = oy * window.Stride;
                    src.Slice(top * window.Width, window.Width).CopyTo(row);
                    for (var ky = 1; ky < window.KernelH; ky++)
                    {
                        TensorPrimitives.Add(row, src.Slice((top + ky) * window.Width, window.Width), row);
                    }

                    for (var ox = 0; ox < window.OutWidth; ox++)
                    {
                        dst[(oy * window.OutWidth) + ox] = TensorPrimitives.Sum(row.Slice(ox * window.Stride, window.KernelW)) * inverseArea;
                    }
                }
            }
        });
    }

    public void AvgPoolBackward(Tensor dy, Tensor dx, ConvGeometry g)
    {
        var planes = AvgPoolPlanes(dx, g);
        RequireLength(dy, (long)planes * g.OutputPlane, "average-pool output gradient");
        ParallelRanges(planes, g.InputPlane, new PoolIo(dy, dx, g), static (in PoolIo io, int first, int last) =>
        {
            var window = new ConvWindow(io.Geometry);
            var inverseArea = 1f / (window.KernelH * window.KernelW);
            Span<float> spread = stackalloc float[window.Width];
            for (var pl = first; pl < last; pl++)
            {
                var grad = io.Input.Span.Slice(pl * window.OutputPlane, window.OutputPlane);
                var dst = io.Output.Span.Slice(pl * window.InputPlane, window.InputPlane);
                dst.Clear();
                for (var oy = 0; oy < window.OutHeight; oy++)
                {
                    spread.Clear();
                    for (var ox = 0; ox < window.OutWidth; ox++)
                    {
                        var columns = spread.Slice(ox * window.Stride, window.KernelW);
                        TensorPrimitives.Add(columns, grad[(oy * window.OutWidth) + ox] * inverseArea, columns);
                    }

                    var top = oy * window.Stride;
                    for (var ky = 0; ky < window.KernelH; ky++)
                    {
                        var target = dst.Slice((top + ky) * window.Width, window.Width);
                        TensorPrimitives.Add(target, spread, target);
                    }
                }
            }
        });
    }

    private static int AvgPoolPlanes(Tensor x, ConvGeometry g)
    {
        g.Validate();
        if (g.Padding != 0)
        {
            throw new ArgumentException("average-pool padding is not supported");
        }

        if (g.Width > MaxPoolRow)
        {
            throw new ArgumentException($"average pooling takes planes up to {MaxPoolRow} wide, got {g.Width}");
        }

        if (x.Length % (g.Channels * g.InputPlane) != 0)
        {
            throw new ArgumentException($"average-pool input {x} is not a batch of {g.Channels}x{g.Height}x{g.Width}");
        }

        return x.Length / g.InputPlane;
    }
}
