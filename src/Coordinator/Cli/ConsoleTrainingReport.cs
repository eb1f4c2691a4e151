using Distributed.Coordinator.Jobs;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>A distributed run's progress on the console and in the metrics files, like a single-process run's.</summary>
internal sealed class ConsoleTrainingReport(TextWriter output, MetricsFiles? metrics, int epochs) : ITrainingReport
{
    public void Line(string text)
    {
        lock (output)
        {
            output.WriteLine(text);
        }
    }

    public void Step(StepMetrics step) => metrics?.Step(step);

    public void Epoch(EpochMetrics epoch)
    {
        metrics?.Epoch(epoch);
        Line(ConsoleReport.Epoch(epoch, epochs));
    }
}
