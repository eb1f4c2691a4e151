using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>y = x·Wᵀ + b with W stored [out, in] as in PyTorch.</summary>
public sealed class Linear(int outFeatures) : Layer
{
    private readonly BatchBuffer _output = new(outFeatures);
    private BatchBuffer _inputGrad = new();
    private Parameter _weight = null!;
    private Parameter _bias = null!;
    private Tensor? _input;

    public int InFeatures { get; private set; }

    public int OutFeatures { get; } = outFeatures > 0 ? outFeatures : throw new ArgumentOutOfRangeException(nameof(outFeatures), outFeatures, "must be positive");

    public override string Describe() => $"Linear({InFeatures} -> {OutFeatures})";

    protected override int[] BuildCore(int[] inputShape)
    {
        if (inputShape.Length != 1)
        {
            throw new ArgumentException($"Linear needs flat samples, got [{string.Join(',', inputShape)}]; add a Flatten layer");
        }

        InFeatures = inputShape[0];
        _weight = AddParameter("weight", [OutFeatures, InFeatures], Initializer.He, InFeatures, OutFeatures);
        _bias = AddParameter("bias", [OutFeatures], Initializer.Zeros, InFeatures, OutFeatures);
        _inputGrad = new BatchBuffer(InFeatures);
        return [OutFeatures];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        RequireSampleShape(x, InputShape, "Linear");
        var n = x.Dim(0);
        var y = _output.For(n);
        Backend.Gemm(false, true, n, OutFeatures, InFeatures, 1f, x, _weight.Value, 0f, y);
        Backend.AddRowBias(y, _bias.Value);
        _input = x;
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var x = _input ?? throw new InvalidOperationException("Linear.Backward before Forward");
        var n = x.Dim(0);
        Backend.Gemm(true, false, OutFeatures, InFeatures, n, 1f, dy, x, 1f, _weight.Grad);
        Backend.AccumulateRowBiasGrad(dy, _bias.Grad);
        if (!ComputeInputGradient)
        {
            return null;
        }

        var dx = _inputGrad.For(n);
        Backend.Gemm(false, false, n, InFeatures, OutFeatures, 1f, dy, _weight.Value, 0f, dx);
        return dx;
    }
}
