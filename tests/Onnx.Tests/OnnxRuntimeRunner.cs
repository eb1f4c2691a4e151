using Microsoft.ML.OnnxRuntime;

namespace Distributed.Onnx.Tests;

/// <summary>Runs an exported model in ONNX Runtime, the reference the export is judged by.</summary>
internal sealed class OnnxRuntimeRunner(byte[] model) : IDisposable
{
    private readonly InferenceSession _session = new(model);

    /// <summary>The output for a batch of <paramref name="batch"/> samples of <paramref name="sampleShape"/>.</summary>
    public float[] Run(float[] features, int batch, int[] sampleShape)
    {
        long[] shape = [batch, .. sampleShape.Select(d => (long)d)];
        using var input = OrtValue.CreateTensorValueFromMemory(features, shape);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, [OnnxExport.InputName], [input], [OnnxExport.OutputName]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    public void Dispose() => _session.Dispose();
}
