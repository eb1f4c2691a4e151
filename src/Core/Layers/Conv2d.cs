using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>2-D convolution over NCHW batches with a square kernel, stride and zero padding.</summary>
public sealed class Conv2d : Layer
{
    private BatchBuffer _output = new();
    private BatchBuffer _inputGrad = new();
    private Parameter _weight = null!;
    private Parameter _bias = null!;
    private Tensor? _workspace;
    private Tensor? _input;
    private ConvGeometry _geometry;

    public Conv2d(int outChannels, int kernel, int stride = 1, int padding = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
    }

    public int OutChannels { get; }

    public int Kernel { get; }

    public int Stride { get; }

    public int Padding { get; }

    public override string Describe() =>
        $"Conv2d({_geometry.Channels} -> {OutChannels}, {Kernel}x{Kernel}, stride {Stride}, padding {Padding}) -> {OutChannels}x{_geometry.OutHeight}x{_geometry.OutWidth}";

    protected override int[] BuildCore(int[] inputShape)
    {
        if (inputShape.Length != 3)
        {
            throw new ArgumentException($"Conv2d needs CxHxW samples, got [{string.Join(',', inputShape)}]");
        }

        _geometry = new ConvGeometry(inputShape[0], inputShape[1], inputShape[2], Kernel, Kernel, Stride, Padding);
        _geometry.Validate();
        var fanIn = _geometry.PatchSize;
        _weight = AddParameter("weight", [OutChannels, inputShape[0], Kernel, Kernel], Initializer.He, fanIn, OutChannels * Kernel * Kernel);
        _bias = AddParameter("bias", [OutChannels], Initializer.Zeros, fanIn, OutChannels);
        int[] output = [OutChannels, _geometry.OutHeight, _geometry.OutWidth];
        _output = new BatchBuffer(output);
        _inputGrad = new BatchBuffer(inputShape);
        return output;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        RequireSampleShape(x, InputShape, "Conv2d");
        var n = x.Dim(0);
        var y = _output.For(n);
        var needed = Backend.ConvWorkspaceLength(_geometry, OutChannels, n);
        if (_workspace is null || _workspace.Length < needed)
        {
            _workspace = new Tensor(needed);
        }

        Backend.Conv2dForward(x, _weight.Value, _bias.Value, y, _geometry, _workspace);
        _input = x;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _input ?? throw new InvalidOperationException("Conv2d.Backward before Forward");
        var dx = ComputeInputGradient ? _inputGrad.For(x.Dim(0)) : null;
        Backend.Conv2dBackward(x, _weight.Value, dy, _weight.Grad, _bias.Grad, dx, _geometry, _workspace!);
        return dx;
    }
}
