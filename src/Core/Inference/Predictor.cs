using System.Globalization;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Tensors;
using Distributed.Core.Training;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Distributed.Core.Inference;

/// <summary>A trained model's outputs for every sample of a data set, with the loss and accuracy against its labels.</summary>
public sealed record Predictions(float[] Outputs, int OutputLength, int Count, double Loss, double? Accuracy);

/// <summary>Runs a model over a data set in evaluation mode (dropout off) and writes what it predicted.</summary>
public static class Predictor
{
    public static Predictions Run(Model model, Dataset data, int batchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var outputLength = model.OutputShape.Aggregate(1, (a, b) => a * b);
        var outputs = new float[(long)data.Count * outputLength];
        var size = Math.Min(batchSize, Math.Max(1, data.Count));
        var x = new Tensor([size, .. data.SampleShape]);
        var t = new Tensor(size, data.TargetLength);
        var indices = new int[size];
        for (var done = 0; done < data.Count; done += size)
        {
            var n = Math.Min(size, data.Count - done);
            for (var i = 0; i < n; i++)
            {
                indices[i] = done + i;
            }

            var xs = x.FirstRows(n);
            var ts = t.FirstRows(n);
            model.LoadBatch(data, indices.AsSpan(0, n), xs, ts);
            var y = model.Forward(xs, training: false);
            model.Backend.Download(y);
            y.Span.CopyTo(outputs.AsSpan(done * outputLength, n * outputLength));
        }

        // The loss and accuracy by the rule training reports them with.
        var (lossSum, correct) = new StepBody(model, data.TargetLength).Evaluate(data, 0, data.Count, size);
        return new Predictions(outputs, outputLength, data.Count, lossSum / Math.Max(1, data.Count), model.IsClassifier ? (double)correct / Math.Max(1, data.Count) : null);
    }

    /// <summary>
    /// One row per sample: for a classifier the predicted class (the largest output, as accuracy counts it) and the label; for a regression
    /// each predicted value and its target.
    /// </summary>
    public static void WriteCsv(Predictions p, Dataset data, bool classifier, string path)
    {
        using var writer = new StreamWriter(path);
        if (classifier)
        {
            writer.WriteLine("sample,predicted,label");
        }
        else
        {
            var columns = Enumerable.Range(0, p.OutputLength);
            writer.WriteLine(string.Join(',', columns.Select(c => $"predicted_{c}").Prepend("sample").Concat(columns.Select(c => $"target_{c}"))));
        }

        for (var i = 0; i < p.Count; i++)
        {
            var row = p.Outputs.AsSpan(i * p.OutputLength, p.OutputLength);
            var targets = data.Targets.AsSpan(i * data.TargetLength, data.TargetLength);
            if (classifier)
            {
                writer.WriteLine(FormattableString.Invariant($"{i},{TensorPrimitives.IndexOfMax(row)},{targets[0]}"));
            }
            else
            {
                writer.WriteLine(string.Join(',', row.ToArray().Concat(targets.ToArray()).Select(v => v.ToString("R", CultureInfo.InvariantCulture)).Prepend(i.ToString(CultureInfo.InvariantCulture))));
            }
        }
    }
}
