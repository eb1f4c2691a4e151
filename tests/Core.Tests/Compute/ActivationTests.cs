using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Compute;

/// <summary>
/// LeakyReLU, tanh, sigmoid and GELU against their definitions evaluated in double (the reference twin of every
/// backend's kernel), written once for any backend. Lengths cover the vector body, its scalar tail and, for GELU,
/// more than one stack block.
/// </summary>
public abstract class ActivationTests
{
    public static TheoryData<ActivationKind, int> Cases
    {
        get
        {
            var data = new TheoryData<ActivationKind, int>();
            foreach (var kind in Enum.GetValues<ActivationKind>())
            {
                foreach (var length in new[] { 1, 7, 1000, 2500 })
                {
                    data.Add(kind, length);
                }
            }

            return data;
        }
    }

    protected abstract IComputeBackend CreateBackend();

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchTheDefinitionInDouble(ActivationKind kind, int length)
    {
        var f = new ActivationFunction(kind, kind == ActivationKind.LeakyRelu ? 0.1f : 0f);
        var x = GradientCheck.Normal(new Rng(7), 3f, length);
        x[0] = 0f;
        var dy = GradientCheck.Normal(new Rng(8), 1f, length);
        var y = new Tensor(length);
        var dx = new Tensor(length);
        var backend = CreateBackend();

        backend.ActivationForward(f, x, y);
        backend.ActivationBackward(f, x, y, dy, dx);

        for (var i = 0; i < length; i++)
        {
            var (value, slope) = Reference(f, x[i]);
            Assert.True(Math.Abs(y[i] - value) <= 2e-6 * (1 + Math.Abs(value)), $"{kind} f({x[i]}) = {y[i]}, expected {value}");
            var grad = dy[i] * slope;
            Assert.True(Math.Abs(dx[i] - grad) <= 2e-5 * (1 + Math.Abs(grad)), $"{kind} f'({x[i]})·{dy[i]} = {dx[i]}, expected {grad}");
        }
    }

    [Theory]
    [InlineData(ActivationKind.LeakyRelu)]
    [InlineData(ActivationKind.Gelu)]
    [InlineData(ActivationKind.Sigmoid)]
    public void ForwardCanRunInPlace(ActivationKind kind)
    {
        var f = new ActivationFunction(kind, 0.2f);
        var x = GradientCheck.Normal(new Rng(9), 2f, 1500);
        var expected = new Tensor(1500);
        var backend = CreateBackend();
        backend.ActivationForward(f, x, expected);

        backend.ActivationForward(f, x, x);

        Assert.Equal(expected.ToArray(), x.ToArray());
    }

    /// <summary>f(v) and f′(v) in double, straight from the definitions.</summary>
    public static (double Value, double Slope) Reference(ActivationFunction f, double v)
    {
        switch (f.Kind)
        {
            case ActivationKind.LeakyRelu:
                return v > 0 ? (v, 1) : (f.Slope * v, f.Slope);
            case ActivationKind.Tanh:
                var t = Math.Tanh(v);
                return (t, 1 - (t * t));
            case ActivationKind.Sigmoid:
                var s = 1 / (1 + Math.Exp(-v));
                return (s, s * (1 - s));
            default:
                const double c = 0.7978845608028654, k = 0.044715;
                var u = Math.Tanh(c * (v + (k * v * v * v)));
                return (0.5 * v * (1 + u), (0.5 * (1 + u)) + (0.5 * v * (1 - (u * u)) * c * (1 + (3 * k * v * v))));
        }
    }
}
