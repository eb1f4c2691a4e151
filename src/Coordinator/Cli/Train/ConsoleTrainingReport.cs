using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>A run's progress on the console (the epoch lines, the live progress), in the metrics files and in the training metrics; both kinds of run report through it.</summary>
internal sealed class ConsoleTrainingReport(TextWriter output, MetricsFiles? metrics, int epochs, TrainingProgress? progress = null, JobTelemetry? telemetry = null) : ITrainingReport
{
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
