using Distributed.Core.Data;
using Distributed.Core.Inference;
using Distributed.Core.Models;
using Google.Protobuf;
using Xunit.Abstractions;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Distributed.Onnx.Tests;

/// <summary>
/// ONNX Runtime's accuracy over the whole MNIST test set equals ours, prediction for prediction: for a network
/// trained here, or for the file named by DISTRIBUTED_ONNX_FILE (one that `train --export-onnx` wrote, as the
/// README measures it).
/// </summary>
public sealed class OnnxRuntimeAccuracyTests(ITestOutputHelper output)
{
    public const string FileVariable = "DISTRIBUTED_ONNX_FILE";

    [Fact]
    public void OnnxRuntimeScoresTheTestSetAsWeDo()
    {
        var test = OnnxExportTests.Mnist(train: false);
        Model model;
        byte[] file;
        if (Environment.GetEnvironmentVariable(FileVariable) is { Length: > 0 } path)
        {
            var imported = OnnxImport.Read(path);
            model = ModelChoice.Parse(imported.Description.Text).Create(imported.InputShape, test.Classes, Core.Losses.LossKind.CrossEntropy, new Core.Compute.Cpu.CpuBackend(1), new ModelOptions(1));
            imported.Parameters.CopyTo(model.Parameters.Values.Span);
            file = File.ReadAllBytes(path);
        }
        else
        {
            model = OnnxExportTests.Trained("conv(8,3,pad=1) gelu avgpool(2) flatten dropout(0.1) linear(32) leakyrelu(0.1) linear(10)", OnnxExportTests.Mnist(train: true));
            file = OnnxExport.ToProto(model).ToByteArray();
        }

        var ours = Predictor.Run(model, test);
        using var runtime = new OnnxRuntimeRunner(file);
        var theirs = runtime.Run(test.Features, test.Count, test.SampleShape);

        var agree = 0;
        var correct = 0;
        for (var i = 0; i < test.Count; i++)
        {
            var predicted = TensorPrimitives.IndexOfMax(theirs.AsSpan(i * 10, 10));
            agree += predicted == TensorPrimitives.IndexOfMax(ours.Outputs.AsSpan(i * 10, 10)) ? 1 : 0;
            correct += predicted == (int)test.Targets[i] ? 1 : 0;
        }

        var accuracy = (double)correct / test.Count;
        output.WriteLine($"{model.Name}: ours {ours.Accuracy:P2}, ONNX Runtime {accuracy:P2} on {test.Count} test samples; {agree} of {test.Count} predictions agree");
        Assert.Equal(test.Count, agree);
        Assert.Equal(ours.Accuracy, accuracy);
    }
}
