using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>Max pooling over square windows (stride defaults to the window, as in PyTorch); no padding.</summary>
public sealed class MaxPool2d(int kernel, int? stride = null) : Layer
{
    private BatchBuffer _output = new();
    private BatchBuffer _inputGrad = new();
    private ConvGeometry _geometry;
    private Tensor? _input;

    public int Kernel { get; } = kernel > 0 ? kernel : throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "must be positive");

    public int Stride { get; } = stride ?? kernel;

    public override string Describe() => $"MaxPool2d({Kernel}x{Kernel}, stride {Stride}) -> {string.Join('x', OutputShape)}";

    protected override int[] BuildCore(int[] inputShape)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException($"MaxPool2d needs CxHxW samples, got [{string.Join(',', inputShape)}]");
        }

        _geometry = new ConvGeometry(inputShape[0], inputShape[1], inputShape[2], Kernel, Kernel, Stride, 0);
        _geometry.Validate();
        int[] output = [inputShape[0], _geometry.OutHeight, _geometry.OutWidth];
        _output = new BatchBuffer(output);
        _inputGrad = new BatchBuffer(inputShape);
        return output;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        RequireSampleShape(x, InputShape, "MaxPool2d");
        var y = _output.For(x.Dim(0));
        Backend.MaxPoolForward(x, y, _geometry);
        _input = x;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!ComputeInputGradient)
        {
            return null;
        }

        var x = _input ?? throw new InvalidOperationException("MaxPool2d.Backward before Forward");
        var dx = _inputGrad.For(x.Dim(0));
        Backend.MaxPoolBackward(x, dy, dx, _geometry);
        return dx;
    }
}
