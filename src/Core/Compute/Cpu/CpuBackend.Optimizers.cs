using Distributed.Core.Tensors;

namespace Distributed.Core.Compute.Cpu;

/// <summary>Fused per-element optimizer updates, following PyTorch's torch.optim formulas.</summary>
public sealed partial class CpuBackend
{
    public void SgdUpdate(Tensor parameters, Tensor gradients, Tensor? momentumBuffer, SgdStep s)
    {
        RequireSameLength(parameters, gradients, "sgd");
        var p = parameters.Span;
        var g = gradients.Span;
        if (s.Momentum == 0f)
        {
            for (var i = 0; i < p.Length; i++)
            {
                p[i] -= s.Lr * g[i];
            }

            return;
        }

        RequireSameLength(parameters, momentumBuffer!, "sgd momentum");
        var b = momentumBuffer!.Span;
        for (var i = 0; i < p.Length; i++)
        {
            // PyTorch: the buffer starts as the first gradient itself (no dampening on step 1).
            var buf = s.FirstStep ? g[i] : (s.Momentum * b[i]) + ((1f - s.Dampening) * g[i]);
            b[i] = buf;
            var direction = s.Nesterov ? g[i] + (s.Momentum * buf) : buf;
            p[i] -= s.Lr * direction;
        }
    }

    public void AdaGradUpdate(Tensor parameters, Tensor gradients, Tensor sum, AdaGradStep s)
    {
        RequireSameLength(parameters, gradients, "adagrad");
        RequireSameLength(parameters, sum, "adagrad state");
        var p = parameters.Span;
        var g = gradients.Span;
        var acc = sum.Span;
        for (var i = 0; i < p.Length; i++)
        {
            acc[i] += g[i] * g[i];
            p[i] -= s.Lr * g[i] / (MathF.Sqrt(acc[i]) + s.Epsilon);
        }
    }

    public void RmsPropUpdate(Tensor parameters, Tensor gradients, Tensor squareAverage, Tensor? momentumBuffer, Tensor? gradAverage, RmsPropStep s)
    {
        RequireSameLength(parameters, gradients, "rmsprop");
        RequireSameLength(parameters, squareAverage, "rmsprop state");
        var p = parameters.Span;
        var g = gradients.Span;
        var v = squareAverage.Span;
        var buf = s.Momentum > 0f ? momentumBuffer!.Span : default;
        var mean = s.Centered ? gradAverage!.Span : default;
        for (var i = 0; i < p.Length; i++)
        {
            v[i] = (s.Alpha * v[i]) + ((1f - s.Alpha) * g[i] * g[i]);
            var variance = v[i];
            if (s.Centered)
            {
                mean[i] = (s.Alpha * mean[i]) + ((1f - s.Alpha) * g[i]);
                variance -= mean[i] * mean[i];
            }

            var step = g[i] / (MathF.Sqrt(variance) + s.Epsilon);
            if (s.Momentum > 0f)
            {
                buf[i] = (s.Momentum * buf[i]) + step;
                step = buf[i];
            }

            p[i] -= s.Lr * step;
        }
    }

    public void AdamUpdate(Tensor parameters, Tensor gradients, Tensor m, Tensor v, Tensor? vMax, AdamStep s)
    {
        RequireSameLength(parameters, gradients, "adam");
        RequireSameLength(parameters, m, "adam state");
        RequireSameLength(parameters, v, "adam state");
        var p = parameters.Span;
        var g = gradients.Span;
        var ms = m.Span;
        var vs = v.Span;
        var vmax = s.AmsGrad ? vMax!.Span : default;
        var stepSize = s.Lr / s.BiasCorrection1;
        var sqrtBc2 = MathF.Sqrt(s.BiasCorrection2);
        var shrink = 1f - s.DecoupledDecay;
        for (var i = 0; i < p.Length; i++)
        {
            ms[i] = (s.Beta1 * ms[i]) + ((1f - s.Beta1) * g[i]);
            vs[i] = (s.Beta2 * vs[i]) + ((1f - s.Beta2) * g[i] * g[i]);
            var second = vs[i];
            if (s.AmsGrad)
            {
                vmax[i] = MathF.Max(vmax[i], vs[i]);
                second = vmax[i];
            }

            var denominator = (MathF.Sqrt(second) / sqrtBc2) + s.Epsilon;
            p[i] = (p[i] * shrink) - (stepSize * ms[i] / denominator);
        }
    }
}
