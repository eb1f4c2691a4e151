using Distributed.Core.Compute;
using Distributed.Core.Layers;
using Google.Protobuf;
using Onnx;

namespace Distributed.Onnx;

/// <summary>Each layer kind as ONNX nodes and initializers: the one place the two vocabularies meet on the way out.</summary>
internal static class LayerNodes
{
    /// <summary>Adds <paramref name="layer"/>'s node reading <paramref name="input"/> and writing <paramref name="output"/>; false for an identity layer, which adds nothing.</summary>
    public static bool Add(GraphProto graph, Layer layer, int index, string input, string output)
    {
        var name = $"{layer.GetType().Name.ToLowerInvariant()}{index}";
        NodeProto node;
        switch (layer)
        {
            case Dropout:
                return false;
            case Linear:
                // Y = X·Wᵀ + b: Gemm with transB, W kept [out, in] as we store it.
                node = Node("Gemm", name, input, output, Initializers(graph, layer, name));
                node.Attribute.Add(Int("transB", 1));
                break;
            case Conv2d conv:
                node = Node("Conv", name, input, output, Initializers(graph, layer, name));
                node.Attribute.Add(Ints("kernel_shape", conv.Kernel, conv.Kernel));
                node.Attribute.Add(Ints("strides", conv.Stride, conv.Stride));
                node.Attribute.Add(Ints("pads", conv.Padding, conv.Padding, conv.Padding, conv.Padding));
                break;
            case MaxPool2d pool:
                node = Node("MaxPool", name, input, output);
                node.Attribute.Add(Ints("kernel_shape", pool.Kernel, pool.Kernel));
                node.Attribute.Add(Ints("strides", pool.Stride, pool.Stride));
                break;
            case AvgPool2d pool:
                node = Node("AveragePool", name, input, output);
                node.Attribute.Add(Ints("kernel_shape", pool.Kernel, pool.Kernel));
                node.Attribute.Add(Ints("strides", pool.Stride, pool.Stride));
                break;
            case Flatten:
                node = Node("Flatten", name, input, output);
                node.Attribute.Add(Int("axis", 1));
                break;
            case ReLU:
                node = Node("Relu", name, input, output);
                break;
            case PointwiseActivation activation:
                node = Activation(activation.Function, name, input, output);
                break;
            default:
                throw new NotSupportedException($"{layer.Describe()} has no ONNX form");
        }

        graph.Node.Add(node);
        return true;
    }

    private static NodeProto Activation(ActivationFunction f, string name, string input, string output)
    {
        switch (f.Kind)
        {
            case ActivationKind.LeakyRelu:
                var leaky = Node("LeakyRelu", name, input, output);
                leaky.Attribute.Add(new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = f.Slope });
                return leaky;
            case ActivationKind.Tanh:
                return Node("Tanh", name, input, output);
            case ActivationKind.Sigmoid:
                return Node("Sigmoid", name, input, output);
            default:
                var gelu = Node("Gelu", name, input, output);
                gelu.Attribute.Add(new AttributeProto { Name = "approximate", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("tanh") });
                return gelu;
        }
    }

    /// <summary>The layer's parameters (weight, then bias) as initializers named after the node; returns their names.</summary>
    private static string[] Initializers(GraphProto graph, Layer layer, string node)
    {
        var names = new List<string>();
        foreach (var p in layer.Parameters)
        {
            var tensor = new TensorProto { Name = $"{node}.{p.Name}", DataType = (int)TensorProto.Types.DataType.Float };
            tensor.Dims.AddRange(p.Shape.Select(d => (long)d));

            // raw_data is little-endian, which is what every machine this runs on stores.
            tensor.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(p.Value.Span));
            graph.Initializer.Add(tensor);
            names.Add(tensor.Name);
        }

        return [.. names];
    }

    private static NodeProto Node(string op, string name, string input, string output, params string[] more)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.Add(input);
        node.Input.AddRange(more);
        node.Output.Add(output);
        return node;
    }

    private static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }
}
