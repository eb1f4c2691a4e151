using Distributed.Core.Layers;
using Distributed.Core.Models;
using Google.Protobuf;
using Onnx;

namespace Distributed.Onnx;

/// <summary>
/// Writes a trained <see cref="Model"/> as a standard ONNX model: one node per layer (Gemm, Conv, MaxPool,
/// AveragePool, Flatten, Relu, LeakyRelu, Tanh, Sigmoid, Gelu with approximate="tanh"; dropout is the identity at
/// inference and writes nothing), the parameters as float initializers, input "input" of [batch, …sample shape] as
/// the data readers produce it, and output "output": the logits or regression values.
/// </summary>
public static class OnnxExport
{
    /// <summary>The operator set written: recent enough for Gelu (opset 20), old enough for any current runtime.</summary>
    public const int Opset = 21;

    /// <summary>The IR version that goes with <see cref="Opset"/> (ONNX 1.16).</summary>
    public const long IrVersion = 10;

    public const string InputName = "input";

    public const string OutputName = "output";

    /// <summary>Writes <paramref name="model"/>'s current parameters (downloaded from its backend first) to <paramref name="path"/>.</summary>
    public static void Write(Model model, string path)
    {
        var proto = ToProto(model);
        using var file = File.Create(path);
        proto.WriteTo(file);
    }

    public static ModelProto ToProto(Model model)
    {
        model.Backend.Download(model.Parameters.Values);
        var graph = new GraphProto { Name = "network" };
        graph.Input.Add(Value(InputName, [-1, .. model.InputShape]));
        graph.Output.Add(Value(OutputName, [-1, .. model.OutputShape]));

        var current = InputName;
        var layers = model.Network.Layers;
        var lastWriting = LastIndexWritingANode(layers);
        for (var i = 0; i < layers.Count; i++)
        {
            var next = i == lastWriting ? OutputName : $"x{i}";
            if (LayerNodes.Add(graph, layers[i], i, current, next))
            {
                current = next;
            }
        }

        if (current != OutputName)
        {
            // Only identity layers (dropout): the output is the input.
            graph.Node.Add(new NodeProto { OpType = "Identity", Name = "output", Input = { current }, Output = { OutputName } });
        }

        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "Distributed",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "",
            DocString = model.Name,
            Graph = graph,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return proto;
    }

    private static int LastIndexWritingANode(IReadOnlyList<Layer> layers)
    {
        for (var i = layers.Count - 1; i >= 0; i--)
        {
            if (layers[i] is not Dropout)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A float tensor value; -1 marks the batch dimension, which is named rather than fixed.</summary>
    private static ValueInfoProto Value(string name, int[] shape)
    {
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
        {
            tensorShape.Dim.Add(d < 0 ? new TensorShapeProto.Types.Dimension { DimParam = "batch" } : new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = tensorShape } },
        };
    }
}
