using System.Numerics;
using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Convolution one sample at a time: a sample's im2col matrix (K × P: 27 × 1,024 or 288 × 256 floats for the cnn)
/// stays in L2 while its GEMMs run, where a whole-batch im2col (tens of MB) streams through memory three times.
/// Samples are split across the team, each task with its own scratch and a single-threaded GEMM.
///
/// The weight gradient is a sum over samples, so it is accumulated in a fixed number of sample groups (a number
/// that depends on the batch, not on the threads), each summed in sample order into its own partial, and the
/// partials are added in group order: bitwise the same result on any number of threads.
/// </summary>
public sealed partial class CpuBackend
{
    private const int WeightGradGroups = 8;

    private ConvScratch[] _convScratch = [];
    private long _convCalls;
    private float[] _convPartials = [];

    /// <summary>The CPU backend keeps its own per-thread scratch, so the layer's workspace is a token.</summary>
    public int ConvWorkspaceLength(ConvGeometry g, int outChannels, int batch) => 1;

    public void Conv2dForward(Tensor x, Tensor weight, Tensor bias, Tensor y, ConvGeometry g, Tensor workspace)
    {
        var (n, cout, k) = ConvDims(x, weight, g);
        RequireLength(y, n * cout * g.OutputPlane, "conv output");
        RequireLength(bias, cout, "conv bias");
        var tasks = TasksFor(n, (long)cout * k * g.OutputPlane);
        PrepareConvScratch(tasks, k * g.OutputPlane);
        ParallelTasks(tasks, new ConvCall(this, new ConvWindow(g), x, weight, bias, y, null, null, cout, n, ++_convCalls), static (in ConvCall call, int task, int tasks) =>
        {
            var w = call.Window;
            var plane = w.OutputPlane;
            var scratch = call.Backend._convScratch[task];
            var inputSize = w.Channels * w.InputPlane;
            for (var s = call.Batch * task / tasks; s < call.Batch * (task + 1) / tasks; s++)
            {
                w.Im2Col(call.X.Span.Slice(s * inputSize, inputSize), scratch.Col);

                // Start each output plane at its bias, then accumulate W · col on top: y[s] is Cout × P, already NCHW.
                var ys = call.Y!.Span.Slice(s * call.OutChannels * plane, call.OutChannels * plane);
                for (var co = 0; co < call.OutChannels; co++)
                {
                    ys.Slice(co * plane, plane).Fill(call.Bias!.Span[co]);
                }

                call.Backend._gemm.MultiplyOnThisThread(scratch.Gemm, false, false, call.OutChannels, plane, w.PatchSize, 1f,
                    call.Weight.Storage, call.Weight.Offset, scratch.Col, 0, call.Y.Storage, call.Y.Offset + (s * call.OutChannels * plane), aStamp: call.Stamp);
            }
        });
    }

    public void Conv2dBackward(Tensor x, Tensor weight, Tensor dy, Tensor weightGrad, Tensor biasGrad, Tensor? dx, ConvGeometry g, Tensor workspace)
    {
        var (n, cout, k) = ConvDims(x, weight, g);
        RequireLength(dy, n * cout * g.OutputPlane, "conv output gradient");
        RequireSameLength(weight, weightGrad, "conv weight gradient");
        RequireLength(biasGrad, cout, "conv bias gradient");
        if (dx is not null)
        {
            RequireLength(dx, x.Length, "conv input gradient");
        }

        var groups = Math.Min(n, WeightGradGroups);
        var partialLength = (cout * k) + cout;
        if (_convPartials.Length < groups * partialLength)
        {
            _convPartials = new float[groups * partialLength];
        }

        var tasks = Math.Min(groups, TasksFor(n, 2L * cout * k * g.OutputPlane));
        PrepareConvScratch(tasks, k * g.OutputPlane);
        ParallelTasks(tasks, new ConvCall(this, new ConvWindow(g), x, weight, null, null, dy, dx, cout, n, ++_convCalls), static (in ConvCall call, int task, int tasks) =>
        {
            var groups = Math.Min(call.Batch, WeightGradGroups);
            for (var group = groups * task / tasks; group < groups * (task + 1) / tasks; group++)
            {
                call.Backend.ConvBackwardGroup(call, task, group, groups);
            }
        });

        // Add the partials in group order, element by element: independent of how groups were spread over threads.
        ParallelRanges(partialLength, groups, new PartialSum(_convPartials, weightGrad, biasGrad, cout * k, groups), static (in PartialSum p, int start, int end) =>
        {
            var stride = p.WeightLength + p.Bias.Length;
            for (var i = start; i < end; i++)
            {
                var total = 0f;
                for (var group = 0; group < p.Groups; group++)
                {
                    total += p.Partials[(group * stride) + i];
                }

                if (i < p.WeightLength)
                {
                    p.Weight.Span[i] += total;
                }
                else
                {
                    p.Bias.Span[i - p.WeightLength] += total;
                }
            }
        });
    }

    /// <summary>One group's samples: weight and bias gradient into the group's partial, and each sample's dx.</summary>
    private void ConvBackwardGroup(in ConvCall call, int task, int group, int groups)
    {
        var w = call.Window;
        var plane = w.OutputPlane;
        var cout = call.OutChannels;
        var k = w.PatchSize;
        var scratch = _convScratch[task];
        var partialOffset = group * ((cout * k) + cout);
        var partial = _convPartials.AsSpan(partialOffset, (cout * k) + cout);
        partial.Clear();
        var inputSize = w.Channels * w.InputPlane;
        for (var s = call.Batch * group / groups; s < call.Batch * (group + 1) / groups; s++)
        {
            var dyOffset = s * cout * plane;
            var dys = call.Dy!.Span.Slice(dyOffset, cout * plane);
            w.Im2Col(call.X.Span.Slice(s * inputSize, inputSize), scratch.Col);

            // dW += dY[s] (Cout × P) · col[s]ᵀ (P × K).
            _gemm.MultiplyOnThisThread(scratch.Gemm, false, true, cout, k, plane, 1f, call.Dy.Storage, call.Dy.Offset + dyOffset, scratch.Col, 0, _convPartials, partialOffset);
            for (var co = 0; co < cout; co++)
            {
                partial[(cout * k) + co] += FixedOrderSum(dys.Slice(co * plane, plane));
            }

            if (call.Dx is null)
            {
                continue;
            }

            // dcol = Wᵀ (K × Cout) · dY[s] (Cout × P), folded back into the sample's dx.
            var dcol = scratch.Col.AsSpan(0, k * plane);
            dcol.Clear();
            _gemm.MultiplyOnThisThread(scratch.WeightGemm, true, false, k, plane, cout, 1f, call.Weight.Storage, call.Weight.Offset, call.Dy.Storage, call.Dy.Offset + dyOffset, scratch.Col, 0, aStamp: call.Stamp);
            w.Col2Im(dcol, call.Dx.Span.Slice(s * inputSize, inputSize));
        }
    }

    /// <summary>Σ x in vector lanes from index 0 then a scalar tail: the same order wherever the span sits in memory.</summary>
    private static float FixedOrderSum(ReadOnlySpan<float> x)
    {
        var lanes = Vector<float>.Zero;
        var w = Vector<float>.Count;
        var i = 0;
        for (; i + w <= x.Length; i += w)
        {
            lanes += new Vector<float>(x[i..]);
        }

        var total = Vector.Sum(lanes);
        for (; i < x.Length; i++)
        {
            total += x[i];
        }

        return total;
    }

    private void PrepareConvScratch(int tasks, int colLength)
    {
        if (_convScratch.Length < tasks)
        {
            var grown = new ConvScratch[tasks];
            _convScratch.CopyTo(grown, 0);
            for (var t = _convScratch.Length; t < tasks; t++)
            {
                grown[t] = new ConvScratch();
            }

            _convScratch = grown;
        }

        for (var t = 0; t < tasks; t++)
        {
            if (_convScratch[t].Col.Length < colLength)
            {
                _convScratch[t].Col = new float[colLength];
            }
        }
    }

    private static (int N, int Cout, int K) ConvDims(Tensor x, Tensor weight, ConvGeometry g)
    {
        g.Validate();
        var perSample = g.Channels * g.InputPlane;
        if (x.Length % perSample != 0)
        {
            throw new ArgumentException($"conv input {x} is not a batch of {g.Channels}x{g.Height}x{g.Width}");
        }

        var k = g.PatchSize;
        if (weight.Length % k != 0)
        {
            throw new ArgumentException($"conv weight {weight} does not match patch size {k}");
        }

        return (x.Length / perSample, weight.Length / k, k);
    }

    /// <summary>One task's buffers: a sample's im2col matrix (reused for its column gradient) and GEMM packing.</summary>
    private sealed class ConvScratch
    {
        public float[] Col { get; set; } = [];

        public GemmScratch Gemm { get; } = new();

        /// <summary>For the GEMMs whose A is the layer's weights, which stay packed across the samples of one call.</summary>
        public GemmScratch WeightGemm { get; } = new();
    }

    private readonly record struct ConvCall(
        CpuBackend Backend, ConvWindow Window, Tensor X, Tensor Weight, Tensor? Bias, Tensor? Y, Tensor? Dy, Tensor? Dx, int OutChannels, int Batch, long Stamp);

    private readonly record struct PartialSum(float[] Partials, Tensor Weight, Tensor Bias, int WeightLength, int Groups);
}
