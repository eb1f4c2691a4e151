using System.Diagnostics;
using Distributed.Core.Data;
using Distributed.Core.Models;
using Distributed.Core.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Core.FullBatch;

/// <summary>
/// `train --optimizer lbfgs|cg|newton` in one process: each step is one iteration of the method on the whole
/// training set, reported as an epoch (loss and ‖∇f‖ where the iteration began, evaluations spent), so the same
/// reports, metrics files and summary serve it as serve the mini-batch loop.
/// </summary>
public sealed class FullBatchTrainer
{
    private readonly Model _model;
    private readonly FullBatchSettings _settings;
    private readonly int _iterations;
    private readonly int _evalBatchSize;

    public FullBatchTrainer(Model model, FullBatchSettings settings, int iterations, int evalBatchSize = 256)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        settings.Check(model);
        _model = model;
        _settings = settings;
        _iterations = iterations;
        _evalBatchSize = evalBatchSize;
    }

    public event Action<StepMetrics>? StepCompleted;

    public event Action<EpochMetrics>? EpochCompleted;

    public TrainingResult Fit(Dataset train, Dataset? test, CancellationToken cancel = default)
    {
        var objective = new ModelObjective(_model, train);
        var minimizer = _settings.Create(objective, Parameters.Read(_model));
        var body = new StepBody(_model, train.TargetLength);
        var tally = new EpochAccumulator(train.Count, _model.IsClassifier);
        for (var iteration = 1; iteration <= _iterations; iteration++)
        {
            cancel.ThrowIfCancellationRequested();
            tally.BeginEpoch(iteration);
            var stepStart = Stopwatch.GetTimestamp();
            IterationReport report;
            using (var span = Spans.StartStep(iteration, iteration, train.Count))
            {
                // Every evaluation of this objective completes synchronously.
                report = minimizer.StepAsync(cancel).GetAwaiter().GetResult();
                span?.SetTag(SpanTags.Loss, report.Loss);
            }

            Parameters.Write(_model, minimizer.X);
            tally.AddStep(report.Loss, train.Count, report.Correct);
            StepCompleted?.Invoke(report.ToStepMetrics(iteration, train.Count, Stopwatch.GetElapsedTime(stepStart).TotalSeconds));
            tally.EndSteps();
            Evaluation? eval = null;
            if (test is not null)
            {
                var (lossSum, correct) = body.Evaluate(test, 0, test.Count, _evalBatchSize);
                eval = new Evaluation(lossSum / test.Count, _model.IsClassifier ? (double)correct / test.Count : null, test.Count);
            }

            EpochCompleted?.Invoke(tally.EndEpoch(eval?.Loss, eval?.Accuracy));
        }

        return tally.Result();
    }
}
