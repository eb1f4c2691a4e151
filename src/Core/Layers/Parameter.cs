using Distributed.Core.Tensors;

namespace Distributed.Core.Layers;

/// <summary>How a parameter's initial values are drawn.</summary>
public enum Initializer
{
    Zeros,

    /// <summary>He/Kaiming normal: N(0, 2/fan_in), for weights followed by ReLU.</summary>
    He,

    /// <summary>Xavier/Glorot uniform: U(±√(6/(fan_in+fan_out))).</summary>
    Xavier,
}

/// <summary>
/// A learnable tensor declared by a layer. Its value and gradient are views into the model's flat parameter
/// and gradient buffers, bound by <see cref="ParameterSet"/> once the whole model is built.
/// </summary>
public sealed class Parameter(string name, int[] shape, Initializer init, int fanIn, int fanOut)
{
    private Tensor? _value;
    private Tensor? _grad;

    public string Name { get; } = name;

    public int[] Shape { get; } = shape;

    public int Length { get; } = shape.Aggregate(1, (a, b) => a * b);

    /// <summary>The scheme for weights; biases are always <see cref="Initializer.Zeros"/>.</summary>
    public Initializer Init { get; } = init;

    public int FanIn { get; } = fanIn;

    public int FanOut { get; } = fanOut;

    public Tensor Value => _value ?? throw new InvalidOperationException($"parameter {Name} is not bound to a parameter set");

    public Tensor Grad => _grad ?? throw new InvalidOperationException($"parameter {Name} is not bound to a parameter set");

    internal void Bind(Tensor value, Tensor grad)
    {
        _value = value;
        _grad = grad;
    }
}
