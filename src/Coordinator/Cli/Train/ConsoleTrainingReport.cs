using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>A run's progress on the console (the epoch lines, the live progress), in the metrics files and in the training metrics; both kinds of run report through it.</summary>
internal sealed class ConsoleTrainingReport(TextWriter output, MetricsFiles? metrics, int epochs, TrainingProgress? progress = null, JobTelemetry? telemetry = null) : ITrainingReport
{
    private readonly List<IterationRow> _iterations = [];

    /// <summary>A full-batch method's steps, one per iteration, for the summary (empty for the first-order optimizers).</summary>
    public IReadOnlyList<IterationRow> Iterations => _iterations;

    public void Line(string text)
    {
        lock (output)
        {
            output.WriteLine(text);
        }
    }

    public void Step(StepMetrics step)
    {
        metrics?.Step(step);
        if (step is { GradientNorm: { } norm, Evaluations: { } evaluations })
        {
            _iterations.Add(new IterationRow(step.Step, step.Loss, norm, evaluations, step.HessianProducts ?? 0, step.LearningRate, step.Seconds));
        }

        TrainMetrics.Step(step);
        progress?.Step(step);
    }

    public void Epoch(EpochMetrics epoch)
    {
        progress?.EpochDone();
        metrics?.Epoch(epoch);
        TrainMetrics.Epoch(epoch);
        telemetry?.Flush();
        Line(ConsoleReport.Epoch(epoch, epochs));
    }
}
