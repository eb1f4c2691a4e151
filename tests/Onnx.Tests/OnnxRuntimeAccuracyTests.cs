using Distributed.Core.Data;
using Distributed.Core.Inference;
using Distributed.Core.Models;
using Google.Protobuf;
using Xunit.Abstractions;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Distributed.Onnx.Tests;

/// <summary>
/// ONNX Runtime's accuracy over a whole test set equals ours, prediction for prediction: for a network trained
/// here on MNIST, or for the file named by DISTRIBUTED_ONNX_FILE (one that `train --export-onnx` wrote, as the README
/// measures it) on DISTRIBUTED_ONNX_DATA and DISTRIBUTED_ONNX_TEST_DATA (as --data and --test-data; default the
/// bundled MNIST).
/// </summary>
public sealed class OnnxRuntimeAccuracyTests(ITestOutputHelper output)
{
    public const string FileVariable = "DISTRIBUTED_ONNX_FILE";
    public const string DataVariable = "DISTRIBUTED_ONNX_DATA";
    public const string TestDataVariable = "DISTRIBUTED_ONNX_TEST_DATA";

    [Fact]
    public void OnnxRuntimeScoresTheTestSetAsWeDo()
    {
        var split = DataSources.Load(Environment.GetEnvironmentVariable(DataVariable) ?? DataSources.FindBundledMnist(), Environment.GetEnvironmentVariable(TestDataVariable), true, [1], 1, 1);
        var test = split.Test ?? split.Train;
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

        var classes = model.OutputShape[0];
        var agree = 0;
        var correct = 0;
        for (var i = 0; i < test.Count; i++)
        {
            var predicted = TensorPrimitives.IndexOfMax(theirs.AsSpan(i * classes, classes));
            agree += predicted == TensorPrimitives.IndexOfMax(ours.Outputs.AsSpan(i * classes, classes)) ? 1 : 0;
            correct += predicted == (int)test.Targets[i] ? 1 : 0;
        }

        var accuracy = (double)correct / test.Count;
        output.WriteLine($"{model.Name} on {split.Description}: ours {ours.Accuracy:P2}, ONNX Runtime {accuracy:P2} on {test.Count} test samples; {agree} of {test.Count} predictions agree");
        Assert.Equal(test.Count, agree);
        Assert.Equal(ours.Accuracy, accuracy);
    }
}
