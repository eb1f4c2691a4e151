using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Tensors;
using Distributed.Core.Training;
using Google.Protobuf;

namespace Distributed.Onnx.Tests;

/// <summary>
/// Every layer kind exported and run in ONNX Runtime on real MNIST test images, after a few training steps moved the
/// weights off their initial values: its outputs must equal ours within 1e-5.
/// </summary>
public sealed class OnnxExportTests
{
    private const int Samples = 64;

    public static TheoryData<string> Networks => new()
    {
        // Every layer kind and activation at least once, with strided, padded and overlapping windows.
        "conv(4,3,stride=2,pad=1) leakyrelu(0.1) maxpool(2) conv(6,3,pad=1) gelu avgpool(2,stride=1) tanh flatten dropout(0.3) linear(32) sigmoid linear(16) relu linear(10)",
        "maxpool(3,stride=2) conv(8,5) relu avgpool(3) flatten linear(10)",
        "flatten linear(64) gelu linear(10)",
        "cnn",
        "mlp",
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeComputesOurOutputs(string network)
    {
        var test = Mnist(train: false);
        var model = Trained(network, Mnist(train: true));
        var (features, ours) = Forward(model, test, Samples);

        using var runtime = new OnnxRuntimeRunner(OnnxExport.ToProto(model).ToByteArray());
        var theirs = runtime.Run(features, Samples, test.SampleShape);

        Assert.Equal(ours.Length, theirs.Length);
        for (var i = 0; i < ours.Length; i++)
        {
            Assert.True(Math.Abs(ours[i] - theirs[i]) <= 1e-5, $"output {i}: ours {ours[i]}, ONNX Runtime {theirs[i]}");
        }
    }

    [Fact]
    public void ARegressionNetworkExportsItsValues()
    {
        var data = Regression(256);
        var model = ModelChoice.Parse("flatten linear(8) tanh linear(2)").Create(data.SampleShape, 2, LossKind.MeanSquaredError, new CpuBackend(1), new ModelOptions(4));
        var (features, ours) = Forward(model, data, 32);

        using var runtime = new OnnxRuntimeRunner(OnnxExport.ToProto(model).ToByteArray());
        var theirs = runtime.Run(features, 32, data.SampleShape);

        Assert.Equal(ours, theirs, (a, b) => Math.Abs(a - b) <= 1e-5);
    }

    [Fact]
    public void TheFileIsAStandardModelOfARecentOpset()
    {
        var model = ModelChoice.Parse("flatten dropout(0.5) linear(10)").Create([1, 28, 28], 10, LossKind.CrossEntropy, new CpuBackend(1), new ModelOptions(1));

        var proto = OnnxExport.ToProto(model);

        Assert.Equal(OnnxExport.Opset, proto.OpsetImport.Single().Version);
        Assert.Equal(["Flatten", "Gemm"], proto.Graph.Node.Select(n => n.OpType));
        Assert.Equal("batch", proto.Graph.Input[0].Type.TensorType.Shape.Dim[0].DimParam);
        Assert.Equal([1L, 28, 28], proto.Graph.Input[0].Type.TensorType.Shape.Dim.Skip(1).Select(d => d.DimValue));
        Assert.Equal(OnnxExport.OutputName, proto.Graph.Node[^1].Output[0]);
    }

    internal static Dataset Mnist(bool train) => MnistIdxReader.ReadDirectory(RepoPaths.FindUp("data/mnist-10k"), train);

    /// <summary><paramref name="network"/> after three Adam steps on 64-sample batches.</summary>
    internal static Model Trained(string network, Dataset train)
    {
        var backend = new CpuBackend(1);
        var choice = ModelChoice.Parse(network);
        var model = choice.Create(train.SampleShape, train.Classes, choice.ResolveLoss("auto"), backend, new ModelOptions(7));
        var optimizer = new OptimizerSettings { Name = "adam", Lr = 1e-2 }.Create(backend, model.Parameters.Values, model.Parameters.Gradients, null);
        var trainer = new Trainer(model, optimizer, new TrainOptions(1, 64, 7), train.TargetLength);
        var indices = Enumerable.Range(0, 64).ToArray();
        for (var step = 0; step < 3; step++)
        {
            trainer.TrainStep(train, indices.Select(i => i + (step * 64)).ToArray());
        }

        return model;
    }

    /// <summary>The first <paramref name="count"/> samples' features and our model's outputs for them (inference mode).</summary>
    internal static (float[] Features, float[] Outputs) Forward(Model model, Dataset data, int count)
    {
        var x = new Tensor([count, .. data.SampleShape]);
        var t = new Tensor([count, data.TargetLength]);
        model.LoadBatch(data, Enumerable.Range(0, count).ToArray(), x, t);
        var y = model.Forward(x, training: false);
        model.Backend.Download(y);
        return (x.ToArray(), y.ToArray());
    }

    private static Dataset Regression(int count)
    {
        var rng = new Rng(3);
        var features = new float[count * 5];
        var targets = new float[count * 2];
        for (var i = 0; i < features.Length; i++)
        {
            features[i] = (float)rng.NextNormal();
        }

        return new Dataset("regression", [5], features, targets, 2, 0);
    }
}
