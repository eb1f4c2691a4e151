namespace Distributed.Core.Compute;

/// <summary>The point-wise activations besides ReLU (which keeps its own, older kernel pair).</summary>
public enum ActivationKind
{
    /// <summary>x for x &gt; 0, else slope·x (PyTorch's LeakyReLU).</summary>
    LeakyRelu,

    Tanh,

    /// <summary>1 / (1 + e^−x).</summary>
    Sigmoid,

    /// <summary>
    /// The tanh form of GELU, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): PyTorch's GELU(approximate='tanh') and
    /// ONNX's Gelu(approximate="tanh"). It needs only tanh, which every backend has vectorised; erf does not.
    /// </summary>
    Gelu,
}

/// <summary>An activation and its one parameter (the negative slope of LeakyReLU; unused by the others).</summary>
public readonly record struct ActivationFunction(ActivationKind Kind, float Slope = 0f)
{
    /// <summary>PyTorch's default negative slope.</summary>
    public const float DefaultLeakySlope = 0.01f;

    /// <summary>√(2/π), the GELU tanh form's scale.</summary>
    public const float GeluScale = 0.7978845608028654f;

    /// <summary>The cubic term's coefficient in the GELU tanh form.</summary>
    public const float GeluCubic = 0.044715f;
}
