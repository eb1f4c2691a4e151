using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>Layers applied in order; builds them front to back and backpropagates back to front.</summary>
public sealed class Sequential(params Layer[] layers) : Layer
{
    private Parameter[] _parameters = [];

    public IReadOnlyList<Layer> Layers { get; } = layers.Length > 0 ? layers : throw new ArgumentException("Sequential needs at least one layer");

    public override IReadOnlyList<Parameter> Parameters => _parameters;

    public override string Describe() => string.Join(Environment.NewLine, Layers.Select(l => l.Describe()));

    protected override int[] BuildCore(int[] inputShape)
    {
        var shape = inputShape;
        foreach (var layer in Layers)
        {
            shape = layer.Build(shape, Backend);
        }

        _parameters = Layers.SelectMany(l => l.Parameters).ToArray();

        // Layers up to and including the first one with parameters feed nothing that needs a gradient (a model's
        // Flatten then first Linear), so they skip their input gradient: for the mlp that is the 128×784×256 GEMM.
        var upstreamNeedsGradient = ComputeInputGradient;
        foreach (var layer in Layers)
        {
            layer.ComputeInputGradient = upstreamNeedsGradient;
            upstreamNeedsGradient |= layer.Parameters.Count > 0;
        }

        return shape;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        // Indexed, not foreach: enumerating an IReadOnlyList allocates an enumerator on every step.
        for (var i = 0; i < Layers.Count; i++)
        {
            x = Layers[i].Forward(x, training);
        }

        return x;
    }

    public override Tensor? Backward(Tensor dy) => Backward(dy, null);

    /// <summary>
    /// Backpropagates and calls <paramref name="layerDone"/> with each layer's index once its parameter gradients are
    /// final, so a data-parallel step can start reducing the last layers' gradients while earlier layers still compute.
    /// </summary>
    public Tensor? Backward(Tensor dy, Action<int>? layerDone)
    {
        Tensor? grad = dy;
        for (var i = Layers.Count - 1; i >= 0; i--)
        {
            // Once a layer returns no input gradient, the layers before it have no parameters and nothing to do,
            // but a data-parallel step still waits to hear that they are done.
            if (grad is not null)
            {
                grad = Layers[i].Backward(grad);
            }

            layerDone?.Invoke(i);
        }

        return grad;
    }
}
