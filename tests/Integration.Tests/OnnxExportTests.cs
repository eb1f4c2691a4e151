using System.Runtime.InteropServices;
using Distributed.Core.Checkpoints;

namespace Distributed.Integration.Tests;

/// <summary>`train --workers 2 --export-onnx`: the coordinator exports what rank 0 saved.</summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public sealed class OnnxExportTests
{
    [Fact]
    public async Task ATwoWorkerJobExportsItsTrainedParameters()
    {
        using var dir = new TempDirectory();
        var onnx = dir.File("net.onnx");
        var save = dir.File("net.params");

        var (code, stdout, stderr) = await ProgramRun.RunAsync(
            ["train", "--model", "flatten linear(16) tanh linear(10)", "--data", "synthetic", "--synthetic-samples", "256", "--epochs", "1", "--batch-size", "64",
             "--workers", "2", "--threads", "1", "--save", save, "--export-onnx", onnx],
            TimeSpan.FromSeconds(120));

        Assert.True(code == 0, stderr);
        Assert.Contains("onnx: ", stdout);
        var proto = global::Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        var exported = proto.Graph.Initializer.SelectMany(t => MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray());
        Assert.Equal(ParameterFile.Read(save), exported);
    }
}
