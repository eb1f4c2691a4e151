using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

public sealed class ReLU : Layer
{
    private BatchBuffer _output = new();
    private BatchBuffer _inputGrad = new();
    private Tensor? _y;

    public override string Describe() => "ReLU";

    protected override int[] BuildCore(int[] inputShape)
    {
        _output = new BatchBuffer(inputShape);
        _inputGrad = new BatchBuffer(inputShape);
        return inputShape;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        var y = _output.For(x.Dim(0));
        Backend.ReluForward(x, y);
        _y = y;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!ComputeInputGradient)
        {
            return null;
        }

        var y = _y ?? throw new InvalidOperationException("ReLU.Backward before Forward");
        var dx = _inputGrad.For(y.Dim(0));
        Backend.ReluBackward(y, dy, dx);
        return dx;
    }
}
