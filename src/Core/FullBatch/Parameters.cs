using Distributed.Core.Models;

namespace Distributed.Core.FullBatch;

/// <summary>Moves the iterate between a full-batch method (double precision) and the model (float32, maybe on a device).</summary>
public static class Parameters
{
    public static double[] Read(Model model)
    {
        var values = model.Parameters.Values;
        model.Backend.Download(values);
        return Array.ConvertAll(values.Span.ToArray(), v => (double)v);
    }

    /// <summary>The accepted iterate back into the model: its parameters otherwise hold the line search's last trial.</summary>
    public static void Write(Model model, double[] x)
    {
        var values = model.Parameters.Values;
        var span = values.Span;
        for (var i = 0; i < span.Length; i++)
        {
            span[i] = (float)x[i];
        }

        model.Backend.Upload(values);
    }
}
