using System.Globalization;
using System.Text.Json;
using Distributed.Coordinator.Cli;

namespace Distributed;

/// <summary>
/// Trains a <see cref="Network"/> in this process or as a local N-worker job. Both run exactly what `train` runs:
/// the options become its flags, so the library and the command line cannot drift apart.
/// </summary>
public static class Training
{
    /// <summary>
    /// Call first in Main when training with workers: in a copy of this program that a job started as a worker, runs
    /// the worker and returns its exit code (return it from Main); in any other process, returns null at once.
    /// </summary>
    public static int? RunIfWorker(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return args is ["worker", ..] ? CliApp.Run(args, Console.Out, Console.Error) : null;
    }

    /// <summary>Trains <paramref name="network"/> and returns what it achieved.</summary>
    /// <exception cref="ArgumentException">An option or the data does not fit (the message is the command line's one-line error).</exception>
    /// <exception cref="InvalidOperationException">Training failed: it diverged, or a worker failed.</exception>
    public static TrainingReport Train(Network network, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(options);
        var summary = Path.Combine(Path.GetTempPath(), $"distributed-summary-{Guid.NewGuid():N}.json");
        try
        {
            var error = new StringWriter();
            var code = CliApp.Run([.. Arguments(network, options), "--json", summary], options.Log ?? TextWriter.Null, error);
            var why = error.ToString().Trim();
            return code switch
            {
                CliApp.Ok => Read(summary),
                CliApp.BadInput => throw new ArgumentException(why),
                _ => throw new InvalidOperationException(why),
            };
        }
        finally
        {
            File.Delete(summary);
        }
    }

    /// <summary>The `train` flags for <paramref name="options"/>: only those given, so every default stays the command line's.</summary>
    internal static IEnumerable<string> Arguments(Network network, TrainingOptions options)
    {
        yield return "train";
        yield return "--model";
        yield return network.Description;
        foreach (var (flag, value) in new (string, object?)[]
        {
            ("--data", options.Data), ("--test-data", options.TestData), ("--loss", options.Loss), ("--epochs", options.Epochs),
            ("--batch-size", options.BatchSize), ("--optimizer", options.Optimizer), ("--lr", options.LearningRate), ("--seed", options.Seed),
            ("--device", options.Device), ("--save", options.SaveParameters), ("--export-onnx", options.ExportOnnx),
            ("--workers", options.Workers > 0 ? options.Workers : null),
        })
        {
            if (value is not null)
            {
                yield return flag;
                yield return value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString()!;
            }
        }
    }

    private static TrainingReport Read(string summary)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(summary));
        var root = json.RootElement;
        var accuracy = root.GetProperty("test_accuracy");
        return new TrainingReport(
            root.GetProperty("parameters").GetInt64(),
            root.GetProperty("final_loss").GetDouble(),
            accuracy.ValueKind == JsonValueKind.Null ? null : accuracy.GetDouble(),
            root.GetProperty("samples_per_second").GetDouble(),
            root.GetProperty("steps").GetInt64());
    }
}
