using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>
/// An element-wise activation (<see cref="ActivationFunction"/>): keeps its input and output for the backward pass,
/// which reads whichever of the two its derivative is cheaper from.
/// </summary>
public abstract class PointwiseActivation(ActivationFunction function) : Layer
{
    private BatchBuffer _output = new();
    private BatchBuffer _inputGrad = new();
    private Tensor? _x;
    private Tensor? _y;

    public ActivationFunction Function { get; } = function;

    protected override int[] BuildCore(int[] inputShape)
    {
        _output = new BatchBuffer(inputShape);
        _inputGrad = new BatchBuffer(inputShape);
        return inputShape;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        var y = _output.For(x.Dim(0));
        Backend.ActivationForward(Function, x, y);
        _x = x;
        _y = y;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!ComputeInputGradient)
        {
            return null;
        }

        var (x, y) = (_x, _y) is ({ } a, { } b) ? (a, b) : throw new InvalidOperationException($"{Describe()}.Backward before Forward");
        var dx = _inputGrad.For(x.Dim(0));
        Backend.ActivationBackward(Function, x, y, dy, dx);
        return dx;
    }
}

/// <summary>x for x &gt; 0, else slope·x.</summary>
public sealed class LeakyReLU(float slope = ActivationFunction.DefaultLeakySlope)
    : PointwiseActivation(new ActivationFunction(ActivationKind.LeakyRelu, float.IsFinite(slope) ? slope : throw new ArgumentOutOfRangeException(nameof(slope), slope, "must be finite")))
{
    public float Slope => Function.Slope;

    public override string Describe() => FormattableString.Invariant($"LeakyReLU(slope {Slope})");
}

public sealed class Tanh() : PointwiseActivation(new ActivationFunction(ActivationKind.Tanh))
{
    public override string Describe() => "Tanh";
}

public sealed class Sigmoid() : PointwiseActivation(new ActivationFunction(ActivationKind.Sigmoid))
{
    public override string Describe() => "Sigmoid";
}

/// <summary>GELU in its tanh form (see <see cref="ActivationKind.Gelu"/>).</summary>
public sealed class GELU() : PointwiseActivation(new ActivationFunction(ActivationKind.Gelu))
{
    public override string Describe() => "GELU(tanh)";
}
