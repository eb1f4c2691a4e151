using ILGPU;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// Fused optimizer updates, one thread per parameter: each reads its parameter, gradient and state once and writes
/// them once. The formulas and their operation order are the CPU backend's (PyTorch's torch.optim definitions).
/// A state a configuration does not use is passed as a one-element placeholder and never touched.
/// </summary>
internal static class UpdateKernels
{
    public static void Sgd(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> buffer, SgdConstants s)
    {
        var grad = g[i];
        if (s.Momentum == 0f)
        {
            p[i] -= s.Lr * grad;
            return;
        }

        // PyTorch: the buffer starts as the first gradient itself (no dampening on step 1).
        var buf = s.FirstStep != 0 ? grad : (s.Momentum * buffer[i]) + ((1f - s.Dampening) * grad);
        buffer[i] = buf;
        var direction = s.Nesterov != 0 ? grad + (s.Momentum * buf) : buf;
        p[i] -= s.Lr * direction;
    }

    public static void AdaGrad(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> sum, AdaGradStep s)
    {
        var grad = g[i];
        var total = sum[i] + (grad * grad);
        sum[i] = total;
        p[i] -= s.Lr * grad / (MathF.Sqrt(total) + s.Epsilon);
    }

    public static void RmsProp(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> v, ArrayView<float> buffer, ArrayView<float> mean, RmsPropConstants s)
    {
        var grad = g[i];
        var average = (s.Alpha * v[i]) + ((1f - s.Alpha) * grad * grad);
        v[i] = average;
        var variance = average;
        if (s.Centered != 0)
        {
            var m = (s.Alpha * mean[i]) + ((1f - s.Alpha) * grad);
            mean[i] = m;
            variance -= m * m;
        }

        var step = grad / (MathF.Sqrt(variance) + s.Epsilon);
        if (s.Momentum > 0f)
        {
            step = (s.Momentum * buffer[i]) + step;
            buffer[i] = step;
        }

        p[i] -= s.Lr * step;
    }

    /// <summary>Adam with bias correction and optional AMSGrad; <paramref name="k"/> holds the per-step constants.</summary>
    public static void Adam(Index1D i, ArrayView<float> p, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v, ArrayView<float> vMax, AdamConstants k)
    {
        var grad = g[i];
        var first = (k.Beta1 * m[i]) + ((1f - k.Beta1) * grad);
        var second = (k.Beta2 * v[i]) + ((1f - k.Beta2) * grad * grad);
        m[i] = first;
        v[i] = second;
        if (k.AmsGrad != 0)
        {
            second = MathF.Max(vMax[i], second);
            vMax[i] = second;
        }

        var denominator = (MathF.Sqrt(second) / k.SqrtBiasCorrection2) + k.Epsilon;
        p[i] = (p[i] * k.Shrink) - (k.StepSize * first / denominator);
    }
}

/// <summary>An <see cref="AdamStep"/> with its per-step constants worked out once on the host.</summary>
internal readonly struct AdamConstants(AdamStep s)
{
    public readonly float Beta1 = s.Beta1;
    public readonly float Beta2 = s.Beta2;
    public readonly float Epsilon = s.Epsilon;
    public readonly float StepSize = s.Lr / s.BiasCorrection1;
    public readonly float SqrtBiasCorrection2 = MathF.Sqrt(s.BiasCorrection2);
    public readonly float Shrink = 1f - s.DecoupledDecay;
    public readonly int AmsGrad = s.AmsGrad ? 1 : 0;
}

/// <summary>An <see cref="SgdStep"/> as a kernel argument: ILGPU passes only blittable structs, so flags become ints.</summary>
internal readonly struct SgdConstants(SgdStep s)
{
    public readonly float Lr = s.Lr;
    public readonly float Momentum = s.Momentum;
    public readonly float Dampening = s.Dampening;
    public readonly int Nesterov = s.Nesterov ? 1 : 0;
    public readonly int FirstStep = s.FirstStep ? 1 : 0;
}

/// <summary>An <see cref="RmsPropStep"/> as a kernel argument.</summary>
internal readonly struct RmsPropConstants(RmsPropStep s)
{
    public readonly float Lr = s.Lr;
    public readonly float Alpha = s.Alpha;
    public readonly float Epsilon = s.Epsilon;
    public readonly float Momentum = s.Momentum;
    public readonly int Centered = s.Centered ? 1 : 0;
}
