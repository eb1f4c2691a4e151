using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Cpu;

public sealed partial class CpuBackend
{
    public void Fill(Tensor x, float value) => x.Span.Fill(value);

    public void Copy(Tensor source, Tensor destination)
    {
        RequireSameLength(source, destination, "copy");
        source.Span.CopyTo(destination.Span);
    }

    public void Scale(Tensor x, float alpha) => TensorPrimitives.Multiply(x.Span, alpha, x.Span);

    public double SumOfSquares(Tensor x) => SquareSum.Of(x.Span);

    public void AddRowBias(Tensor y, Tensor bias)
    {
        var cols = bias.Length;
        if (cols == 0 || y.Length % cols != 0)
        {
            throw new ArgumentException($"bias of {cols} does not divide {y}");
        }

        var b = bias.Span;
        var span = y.Span;
        for (var row = 0; row < span.Length; row += cols)
        {
            var r = span.Slice(row, cols);
            TensorPrimitives.Add(r, b, r);
        }
    }

    public void AccumulateRowBiasGrad(Tensor dy, Tensor biasGrad)
    {
        var cols = biasGrad.Length;
        if (cols == 0 || dy.Length % cols != 0)
        {
            throw new ArgumentException($"bias of {cols} does not divide {dy}");
        }

        var g = biasGrad.Span;
        var span = dy.Span;
        for (var row = 0; row < span.Length; row += cols)
        {
            TensorPrimitives.Add(g, span.Slice(row, cols), g);
        }
    }

    public void ReluForward(Tensor x, Tensor y)
    {
        RequireSameLength(x, y, "relu");
        ParallelRanges(x.Length, 1, (x, y), static (in (Tensor X, Tensor Y) a, int start, int end) =>
            TensorPrimitives.Max(a.X.Span[start..end], 0f, a.Y.Span[start..end]));
    }

    public void ReluBackward(Tensor y, Tensor dy, Tensor dx)
    {
        RequireSameLength(y, dy, "relu backward");
        RequireSameLength(y, dx, "relu backward");
        ParallelRanges(y.Length, 2, (y, dy, dx), static (in (Tensor Y, Tensor Dy, Tensor Dx) a, int start, int end) =>
        {
            var ys = a.Y.Span[start..end];
            var dys = a.Dy.Span[start..end];
            var dxs = a.Dx.Span[start..end];
            var w = Vector<float>.Count;
            var i = 0;
            for (; i + w <= ys.Length; i += w)
            {
                var open = Vector.GreaterThan(new Vector<float>(ys[i..]), Vector<float>.Zero);
                Vector.ConditionalSelect(open, new Vector<float>(dys[i..]), Vector<float>.Zero).CopyTo(dxs[i..]);
            }

            for (; i < ys.Length; i++)
            {
                dxs[i] = ys[i] > 0f ? dys[i] : 0f;
            }
        });
    }

    public void DropoutForward(Tensor x, Tensor mask, Tensor y, float p, ulong seed, long firstIndex)
    {
        RequireSameLength(x, mask, "dropout");
        RequireSameLength(x, y, "dropout");
        var m = mask.Span;
        var keep = 1f / (1f - p);
        for (var i = 0; i < m.Length; i++)
        {
            m[i] = DropoutUniform(seed, firstIndex + i) < p ? 0f : keep;
        }

        TensorPrimitives.Multiply(x.Span, m, y.Span);
    }

    /// <summary>A uniform float in [0,1) that depends only on (seed, index): the contract every backend shares.</summary>
    public static float DropoutUniform(ulong seed, long index) =>
        (Rng.Mix(seed + ((ulong)index * 0x9E3779B97F4A7C15UL)) >> 40) * (1f / (1 << 24));

    public void Multiply(Tensor a, Tensor b, Tensor c)
    {
        RequireSameLength(a, b, "multiply");
        RequireSameLength(a, c, "multiply");
        TensorPrimitives.Multiply(a.Span, b.Span, c.Span);
    }

    public void AddWeightPenalty(Tensor parameters, Tensor gradients, float l2, float l1)
    {
        RequireSameLength(parameters, gradients, "weight penalty");
        Sweep(new PenaltyLanes(l2, l1), parameters, gradients, null, null, null);
    }

    /// <summary>g += l2·p + l1·sign(p).</summary>
    private readonly struct PenaltyLanes(float l2, float l1) : ILaneUpdate
    {
        public void Apply(ref Vector<float> p, ref Vector<float> g, ref Vector<float> unused0, ref Vector<float> unused1, ref Vector<float> unused2)
        {
            var sign = Vector.ConditionalSelect(Vector.GreaterThan(p, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero)
                - Vector.ConditionalSelect(Vector.LessThan(p, Vector<float>.Zero), Vector<float>.One, Vector<float>.Zero);
            g += (l2 * p) + (l1 * sign);
        }
    }
}
