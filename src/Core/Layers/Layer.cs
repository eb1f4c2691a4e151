using Distributed.Core.Compute;
using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>
/// A differentiable function of a batch. <see cref="Build"/> fixes the per-sample shapes and declares parameters;
/// <see cref="Forward"/> keeps what <see cref="Backward"/> needs; <see cref="Backward"/> accumulates parameter
/// gradients and returns the input gradient. All arithmetic goes through the backend.
/// </summary>
public abstract class Layer
{
    private readonly List<Parameter> _parameters = [];
    private IComputeBackend? _backend;

    public virtual IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>False for the first layer of a model: nobody consumes its input gradient, so it is not computed.</summary>
    public bool ComputeInputGradient { get; set; } = true;

    public int[] InputShape { get; private set; } = [];

    public int[] OutputShape { get; private set; } = [];

    protected IComputeBackend Backend => _backend ?? throw new InvalidOperationException($"{GetType().Name} is not built");

    /// <summary>Fixes shapes for samples of <paramref name="inputShape"/> and returns the output sample shape.</summary>
    public int[] Build(int[] inputShape, IComputeBackend backend)
    {
        _backend = backend;
        InputShape = inputShape;
        OutputShape = BuildCore(inputShape);
        return OutputShape;
    }

    public abstract Tensor Forward(Tensor x, bool training);

    /// <summary>Returns dL/dx, or null when <see cref="ComputeInputGradient"/> is false.</summary>
    public abstract Tensor? Backward(Tensor dy);

    public abstract string Describe();

    protected abstract int[] BuildCore(int[] inputShape);

    protected Parameter AddParameter(string name, int[] shape, Initializer init, int fanIn, int fanOut)
    {
        var p = new Parameter(name, shape, init, fanIn, fanOut);
        _parameters.Add(p);
        return p;
    }

    protected static void RequireSampleShape(Tensor x, int[] expected, string layer)
    {
        if (x.Rank != expected.Length + 1 || !x.Shape[1..].SequenceEqual(expected))
        {
            throw new ArgumentException($"{layer} expects samples of [{string.Join(',', expected)}], got {x}");
        }
    }
}
