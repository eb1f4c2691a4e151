using System.Numerics;
using Distributed.Core.Tensors;
using static Distributed.Core.Compute.TensorChecks;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Fused per-element optimizer updates, following PyTorch's torch.optim formulas, vectorised and split across
/// the team. Each formula keeps the operation order of its scalar definition, and vector square root and division
/// round exactly as scalar ones do, so the result does not depend on the width or the thread split.
/// </summary>
public sealed partial class CpuBackend
{
    public void SgdUpdate(Tensor parameters, Tensor gradients, Tensor? momentumBuffer, SgdStep s)
    {
        RequireSameLength(parameters, gradients, "sgd");
        if (s.Momentum != 0f)
        {
            RequireSameLength(parameters, momentumBuffer!, "sgd momentum");
        }

        Sweep(new SgdLanes(s), parameters, gradients, s.Momentum != 0f ? momentumBuffer : null, null, null);
    }

    public void AdaGradUpdate(Tensor parameters, Tensor gradients, Tensor sum, AdaGradStep s)
    {
        RequireSameLength(parameters, gradients, "adagrad");
        RequireSameLength(parameters, sum, "adagrad state");
        Sweep(new AdaGradLanes(s), parameters, gradients, sum, null, null);
    }

    public void RmsPropUpdate(Tensor parameters, Tensor gradients, Tensor squareAverage, Tensor? momentumBuffer, Tensor? gradAverage, RmsPropStep s)
    {
        RequireSameLength(parameters, gradients, "rmsprop");
        RequireSameLength(parameters, squareAverage, "rmsprop state");
        Sweep(new RmsPropLanes(s), parameters, gradients, squareAverage, s.Momentum > 0f ? momentumBuffer : null, s.Centered ? gradAverage : null);
    }

    public void AdamUpdate(Tensor parameters, Tensor gradients, Tensor m, Tensor v, Tensor? vMax, AdamStep s)
    {
        RequireSameLength(parameters, gradients, "adam");
        RequireSameLength(parameters, m, "adam state");
        RequireSameLength(parameters, v, "adam state");
        Sweep(new AdamLanes(s), parameters, gradients, m, v, s.AmsGrad ? vMax : null);
    }

    /// <summary>Runs an element-wise update over parallel tensors (state tensors may be absent) on the team.</summary>
    private void Sweep<TUpdate>(in TUpdate update, Tensor p, Tensor g, Tensor? s0, Tensor? s1, Tensor? s2)
        where TUpdate : struct, ILaneUpdate
    {
        foreach (var state in (ReadOnlySpan<Tensor?>)[s0, s1, s2])
        {
            if (state is not null)
            {
                RequireSameLength(p, state, "optimizer state");
            }
        }

        ParallelRanges(p.Length, 16, new SweepArgs<TUpdate>(update, p, g, s0, s1, s2), static (in SweepArgs<TUpdate> a, int start, int end) =>
            LaneSweep.Run(a.Update, a.P.Span, a.G.Span, Of(a.S0), Of(a.S1), Of(a.S2), start, end));

        static Span<float> Of(Tensor? t) => t is null ? default : t.Span;
    }

    private readonly record struct SweepArgs<TUpdate>(TUpdate Update, Tensor P, Tensor G, Tensor? S0, Tensor? S1, Tensor? S2);

    /// <summary>buf = first ? g : μ·buf + (1−τ)·g; p −= lr·(nesterov ? g + μ·buf : buf); plain SGD without momentum.</summary>
    private readonly struct SgdLanes(SgdStep s) : ILaneUpdate
    {
        public void Apply(ref Vector<float> p, ref Vector<float> g, ref Vector<float> buffer, ref Vector<float> unused1, ref Vector<float> unused2)
        {
            if (s.Momentum == 0f)
            {
                p -= s.Lr * g;
                return;
            }

            // PyTorch: the buffer starts as the first gradient itself (no dampening on step 1).
            var buf = s.FirstStep ? g : (s.Momentum * buffer) + ((1f - s.Dampening) * g);
            buffer = buf;
            var direction = s.Nesterov ? g + (s.Momentum * buf) : buf;
            p -= s.Lr * direction;
        }
    }

    /// <summary>sum += g²; p −= lr·g / (√sum + ε).</summary>
    private readonly struct AdaGradLanes(AdaGradStep s) : ILaneUpdate
    {
        public void Apply(ref Vector<float> p, ref Vector<float> g, ref Vector<float> sum, ref Vector<float> unused1, ref Vector<float> unused2)
        {
            sum += g * g;
            p -= s.Lr * g / (Vector.SquareRoot(sum) + new Vector<float>(s.Epsilon));
        }
    }

    /// <summary>v = α·v + (1−α)·g²; centered subtracts the running mean²; optional momentum on the step.</summary>
    private readonly struct RmsPropLanes(RmsPropStep s) : ILaneUpdate
    {
        public void Apply(ref Vector<float> p, ref Vector<float> g, ref Vector<float> v, ref Vector<float> buffer, ref Vector<float> mean)
        {
            v = (s.Alpha * v) + ((1f - s.Alpha) * g * g);
            var variance = v;
            if (s.Centered)
            {
                mean = (s.Alpha * mean) + ((1f - s.Alpha) * g);
                variance -= mean * mean;
            }

            var step = g / (Vector.SquareRoot(variance) + new Vector<float>(s.Epsilon));
            if (s.Momentum > 0f)
            {
                buffer = (s.Momentum * buffer) + step;
                step = buffer;
            }

            p -= s.Lr * step;
        }
    }

    /// <summary>Adam with bias correction (and AMSGrad); AdamW's decoupled decay shrinks p first.</summary>
    private readonly struct AdamLanes(AdamStep s) : ILaneUpdate
    {
        private readonly float _stepSize = s.Lr / s.BiasCorrection1;
        private readonly float _sqrtBc2 = MathF.Sqrt(s.BiasCorrection2);
        private readonly float _shrink = 1f - s.DecoupledDecay;

        public void Apply(ref Vector<float> p, ref Vector<float> g, ref Vector<float> m, ref Vector<float> v, ref Vector<float> vMax)
        {
            m = (s.Beta1 * m) + ((1f - s.Beta1) * g);
            v = (s.Beta2 * v) + ((1f - s.Beta2) * g * g);
            var second = v;
            if (s.AmsGrad)
            {
                vMax = Vector.Max(vMax, v);
                second = vMax;
            }

            var denominator = (Vector.SquareRoot(second) / _sqrtBc2) + new Vector<float>(s.Epsilon);
            p = (p * _shrink) - (_stepSize * m / denominator);
        }
    }
}
