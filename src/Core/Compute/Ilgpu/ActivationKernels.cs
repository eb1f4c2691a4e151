using ILGPU;
using ILGPU.Algorithms;

namespace Distributed.Core.Compute.Ilgpu;

/// <summary>
/// One thread per element for the activations of <see cref="ActivationKind"/> (passed as an int: kernels take
/// plain values). The formulas are the CPU backend's; tanh and exp come from XMath, so results agree with the CPU
/// to rounding, not to the bit.
/// </summary>
internal static class ActivationKernels
{
    public static void Forward(Index1D i, ArrayView<float> x, ArrayView<float> y, int kind, float slope) => y[i] = Apply(kind, slope, x[i]);

    public static void Backward(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx, int kind, float slope) =>
        dx[i] = dy[i] * Derivative(kind, slope, x[i], y[i]);

    /// <summary>f(v).</summary>
    public static float Apply(int kind, float slope, float v)
    {
        switch ((ActivationKind)kind)
        {
            case ActivationKind.LeakyRelu:
                return v > 0f ? v : v * slope;
            case ActivationKind.Tanh:
                return XMath.Tanh(v);
            case ActivationKind.Sigmoid:
                return 1f / (1f + XMath.Exp(-v));
            default:
                return 0.5f * v * (1f + GeluTanh(v));
        }
    }

    /// <summary>f′ at v, where f(v) = fv.</summary>
    public static float Derivative(int kind, float slope, float v, float fv)
    {
        switch ((ActivationKind)kind)
        {
            case ActivationKind.LeakyRelu:
                return v > 0f ? 1f : slope;
            case ActivationKind.Tanh:
                return 1f - (fv * fv);
            case ActivationKind.Sigmoid:
                return fv * (1f - fv);
            default:
                var t = GeluTanh(v);
                return (0.5f * (1f + t)) + (0.5f * v * (1f - (t * t)) * ActivationFunction.GeluScale * (1f + (3f * ActivationFunction.GeluCubic * v * v)));
        }
    }

    private static float GeluTanh(float v) => XMath.Tanh(ActivationFunction.GeluScale * (v + (ActivationFunction.GeluCubic * v * v * v)));
}
