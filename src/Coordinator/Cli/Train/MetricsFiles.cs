using System.Globalization;
using System.Text.Json;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `--out DIR`: steps.csv|jsonl (one row per optimizer step) and epochs.csv|jsonl (one row per epoch),
/// flushed at each epoch so a crashed run keeps what it measured; and beside them training.svg, loss and accuracy
/// against step, drawn when the files are closed.
/// </summary>
internal sealed class MetricsFiles : IDisposable
{
    private readonly StreamWriter _steps;
    private readonly StreamWriter _epochs;
    private readonly bool _jsonl;
    private readonly string _directory;
    private readonly string _title;
    private readonly bool _fullBatch;
    private readonly List<StepMetrics> _stepHistory = [];
    private readonly List<EpochMetrics> _epochHistory = [];

    /// <param name="fullBatch">A full-batch method's run: each step row adds ‖∇f‖, the evaluations of f and ∇f, and the Hessian-vector products it spent.</param>
    public MetricsFiles(string directory, string format, string title = "training", bool fullBatch = false)
    {
        _fullBatch = fullBatch;
        _directory = directory;
        _title = title;
        Directory.CreateDirectory(directory);
        _jsonl = format == "jsonl";
        var ext = _jsonl ? "jsonl" : "csv";
        _steps = new StreamWriter(Path.Combine(directory, $"steps.{ext}"));
        _epochs = new StreamWriter(Path.Combine(directory, $"epochs.{ext}"));
        if (!_jsonl)
        {
            _steps.WriteLine(fullBatch ? "epoch,step,loss,lr,batch_size,seconds,gradient_norm,evaluations,hessian_products" : "epoch,step,loss,lr,batch_size,seconds");
            _epochs.WriteLine("epoch,train_loss,train_accuracy,test_loss,test_accuracy,samples_per_second,seconds");
        }
    }

    /// <summary>The picture of the run, written when the files are closed.</summary>
    public string PlotPath => Path.Combine(_directory, "training.svg");

    public void Step(StepMetrics s)
    {
        _stepHistory.Add(s);
        if (_jsonl)
        {
            _steps.WriteLine(JsonSerializer.Serialize(s, JsonFiles.Line));
            return;
        }

        var row = string.Create(CultureInfo.InvariantCulture, $"{s.Epoch},{s.Step},{s.Loss:R},{s.LearningRate:R},{s.BatchSize},{s.Seconds:R}");
        _steps.WriteLine(_fullBatch ? string.Create(CultureInfo.InvariantCulture, $"{row},{s.GradientNorm:R},{s.Evaluations},{s.HessianProducts}") : row);
    }

    public void Epoch(EpochMetrics e)
    {
        _epochHistory.Add(e);
        if (_jsonl)
        {
            _epochs.WriteLine(JsonSerializer.Serialize(e, JsonFiles.Line));
        }
        else
        {
            _epochs.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Epoch},{e.TrainLoss:R},{e.TrainAccuracy:R},{e.TestLoss:R},{e.TestAccuracy:R},{e.SamplesPerSecond:R},{e.Seconds:R}"));
        }

        _steps.Flush();
        _epochs.Flush();
    }

    public void Dispose()
    {
        _steps.Dispose();
        _epochs.Dispose();
        if (_stepHistory.Count > 0)
        {
            Plots.WriteTraining(PlotPath, _stepHistory, _epochHistory, _title);
        }
    }
}
