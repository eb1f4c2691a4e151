using System.Globalization;
using System.Runtime.InteropServices;
using Distributed.Core.Data;
using Distributed.Core.Models.Description;
using Onnx;

namespace Distributed.Onnx;

/// <summary>A network read back from an ONNX file: its description, sample shape and flat parameters in our order.</summary>
public sealed record ImportedNetwork(NetworkDescription Description, int[] InputShape, float[] Parameters);

/// <summary>
/// Reads the ONNX models <see cref="OnnxExport"/> writes (a chain of the nodes it emits) back into a network
/// description and parameters, so `predict` can run an exported file without a runtime of its own. Anything else
/// is refused by name: this is not a general ONNX interpreter.
/// </summary>
public static class OnnxImport
{
    public static ImportedNetwork Read(string path)
    {
        ModelProto model;
        try
        {
            using var file = File.OpenRead(path);
            model = ModelProto.Parser.ParseFrom(file);
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new DataFormatException($"{path}: not an ONNX model ({ex.Message})");
        }

        var graph = model.Graph ?? throw new DataFormatException($"{path}: the ONNX model has no graph");
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var layers = new List<string>();
        var parameters = new List<float>();
        foreach (var node in graph.Node)
        {
            float[] Weights(int input) => input < node.Input.Count && initializers.TryGetValue(node.Input[input], out var t)
                ? Floats(t, path)
                : throw new DataFormatException($"{path}: node '{node.Name}' ({node.OpType}) has no initializer for input {input}");
            long Dim0(int input) => initializers.TryGetValue(node.Input[input], out var t) && t.Dims.Count > 0 ? t.Dims[0] : throw new DataFormatException($"{path}: node '{node.Name}' has no weight shape");

            switch (node.OpType)
            {
                case "Gemm":
                    if (Attribute(node, "transB")?.I != 1 || node.Input.Count != 3)
                    {
                        throw Unsupported(path, node, "a Gemm other than X·Wᵀ + b");
                    }

                    layers.Add($"linear({Dim0(1)})");
                    parameters.AddRange(Weights(1));
                    parameters.AddRange(Weights(2));
                    break;
                case "Conv":
                    layers.Add($"conv({Dim0(1)},{Square(node, "kernel_shape", path)},stride={Square(node, "strides", path, 1)},pad={Pads(node, path)})");
                    parameters.AddRange(Weights(1));
                    parameters.AddRange(Weights(2));
                    break;
                case "MaxPool" or "AveragePool":
                    var kernel = Square(node, "kernel_shape", path);
                    if (Pads(node, path) != 0 || Attribute(node, "ceil_mode")?.I is > 0)
                    {
                        throw Unsupported(path, node, "a padded or ceil-mode pool");
                    }

                    layers.Add($"{(node.OpType == "MaxPool" ? "maxpool" : "avgpool")}({kernel},stride={Square(node, "strides", path, 1)})");
                    break;
                case "Flatten":
                    layers.Add("flatten");
                    break;
                case "Relu":
                    layers.Add("relu");
                    break;
                case "LeakyRelu":
                    layers.Add($"leakyrelu({(Attribute(node, "alpha")?.F ?? 0.01f).ToString("R", CultureInfo.InvariantCulture)})");
                    break;
                case "Tanh":
                    layers.Add("tanh");
                    break;
                case "Sigmoid":
                    layers.Add("sigmoid");
                    break;
                case "Gelu":
                    if (Attribute(node, "approximate")?.S.ToStringUtf8() != "tanh")
                    {
                        throw Unsupported(path, node, "exact (erf) GELU; this engine's GELU is the tanh form");
                    }

                    layers.Add("gelu");
                    break;
                case "Identity" or "Dropout":
                    break;
                default:
                    throw Unsupported(path, node, $"the operator {node.OpType}");
            }
        }

        var input = graph.Input.FirstOrDefault(i => !initializers.ContainsKey(i.Name)) ?? throw new DataFormatException($"{path}: the ONNX graph has no input");
        var dims = input.Type?.TensorType?.Shape?.Dim ?? throw new DataFormatException($"{path}: input '{input.Name}' has no tensor shape");
        var shape = dims.Skip(1).Select(d => d.DimValue > 0 ? (int)d.DimValue : throw new DataFormatException($"{path}: input '{input.Name}' has an unknown sample dimension")).ToArray();
        return new ImportedNetwork(NetworkDescription.Parse(string.Join(' ', layers), Path.GetFileName(path)), shape, [.. parameters]);
    }

    private static float[] Floats(TensorProto t, string path)
    {
        if (t.DataType != (int)TensorProto.Types.DataType.Float)
        {
            throw new DataFormatException($"{path}: initializer '{t.Name}' is not float32");
        }

        return t.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : [.. t.FloatData];
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>The one value of a square window attribute (kernel_shape, strides), or <paramref name="fallback"/> when absent.</summary>
    private static long Square(NodeProto node, string name, string path, long? fallback = null)
    {
        var values = Attribute(node, name)?.Ints;
        if (values is null || values.Count == 0)
        {
            return fallback ?? throw Unsupported(path, node, $"a {node.OpType} without {name}");
        }

        return values.Count == 2 && values[0] == values[1] ? values[0] : throw Unsupported(path, node, $"a non-square {name}");
    }

    private static long Pads(NodeProto node, string path)
    {
        var pads = Attribute(node, "pads")?.Ints;
        if (pads is null || pads.Count == 0)
        {
            return 0;
        }

        return pads.Distinct().Count() == 1 ? pads[0] : throw Unsupported(path, node, "uneven padding");
    }

    private static DataFormatException Unsupported(string path, NodeProto node, string what) =>
        new($"{path}: node '{node.Name}' is {what}, which this engine does not run (predict reads the files train --export-onnx writes)");
}
