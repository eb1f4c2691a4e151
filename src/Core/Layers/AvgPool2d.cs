using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>Average pooling over square windows (stride defaults to the window, as in PyTorch); no padding.</summary>
public sealed class AvgPool2d(int kernel, int? stride = null) : Layer
{
    private BatchBuffer _output = new();
    private BatchBuffer _inputGrad = new();
    private ConvGeometry _geometry;

    public int Kernel { get; } = kernel > 0 ? kernel : throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "must be positive");

    public int Stride { get; } = stride is null or > 0 ? stride ?? kernel : throw new ArgumentOutOfRangeException(nameof(stride), stride, "must be positive");

    public override string Describe() => $"AvgPool2d({Kernel}x{Kernel}, stride {Stride}) -> {string.Join('x', OutputShape)}";

    protected override int[] BuildCore(int[] inputShape)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException($"AvgPool2d needs CxHxW samples, got [{string.Join(',', inputShape)}]");
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
        RequireSampleShape(x, InputShape, "AvgPool2d");
        var y = _output.For(x.Dim(0));
        Backend.AvgPoolForward(x, y, _geometry);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!ComputeInputGradient)
        {
            return null;
        }

        var dx = _inputGrad.For(dy.Dim(0));
        Backend.AvgPoolBackward(dy, dx, _geometry);
        return dx;
    }
}
