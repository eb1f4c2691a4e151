using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>Views each sample as a vector; no data moves. Views are cached so a steady batch allocates nothing.</summary>
public sealed class Flatten : Layer
{
    private Tensor? _lastInput;
    private Tensor? _lastOutput;
    private Tensor? _lastGrad;
    private Tensor? _lastInputGrad;
    private int _features;

    public override string Describe() => $"Flatten -> {_features}";

    protected override int[] BuildCore(int[] inputShape)
    {
        _features = inputShape.Aggregate(1, (a, b) => a * b);
        return [_features];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        RequireSampleShape(x, InputShape, "Flatten");
        if (!ReferenceEquals(x, _lastInput))
        {
            _lastInput = x;
            _lastOutput = x.Reshape(x.Dim(0), _features);
        }

        return _lastOutput!;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!ComputeInputGradient)
        {
            return null;
        }

        if (!ReferenceEquals(dy, _lastGrad))
        {
            _lastGrad = dy;
            _lastInputGrad = dy.Reshape([dy.Dim(0), .. InputShape]);
        }

        return _lastInputGrad!;
    }
}
