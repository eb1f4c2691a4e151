using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Google.Protobuf;
using Onnx;

namespace Distributed.Onnx.Tests;

public sealed class OnnxImportTests
{
    [Theory]
    [MemberData(nameof(OnnxExportTests.Networks), MemberType = typeof(OnnxExportTests))]
    public void AnExportReadsBackAsTheSameNetworkAndParameters(string network)
    {
        using var dir = new TempDirectory();
        var path = dir.File("net.onnx");
        var model = OnnxExportTests.Trained(network, OnnxExportTests.Mnist(train: true));
        OnnxExport.Write(model, path);

        var imported = OnnxImport.Read(path);

        var withoutDropout = string.Join(' ', ModelChoice.Parse(network).Create([1, 28, 28], 10, LossKind.CrossEntropy, new CpuBackend(1), new ModelOptions(1))
            .Network.Layers.Where(l => l is not Core.Layers.Dropout).Select(Describe));
        Assert.Equal(withoutDropout, string.Join(' ', imported.Description.CreateModel([1, 28, 28], 10, LossKind.CrossEntropy, new CpuBackend(1), new ModelOptions(1)).Network.Layers.Select(Describe)));
        Assert.Equal([1, 28, 28], imported.InputShape);
        Assert.Equal(model.Parameters.Values.ToArray(), imported.Parameters);
    }

    [Fact]
    public void AnOperatorThisEngineDoesNotRunIsNamed()
    {
        using var dir = new TempDirectory();
        var path = dir.File("softmax.onnx");
        var model = OnnxExport.ToProto(ModelChoice.Parse("flatten linear(10)").Create([4], 10, LossKind.CrossEntropy, new CpuBackend(1), new ModelOptions(1)));
        model.Graph.Node.Add(new NodeProto { OpType = "Softmax", Name = "probabilities", Input = { "output" }, Output = { "p" } });
        File.WriteAllBytes(path, model.ToByteArray());

        var ex = Assert.Throws<DataFormatException>(() => OnnxImport.Read(path));

        Assert.Contains("node 'probabilities' is the operator Softmax, which this engine does not run", ex.Message);
    }

    private static string Describe(Core.Layers.Layer layer) => layer.Describe();
}
