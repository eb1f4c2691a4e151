using System.Collections.Concurrent;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>Keeps what a <see cref="TrainingDriver"/> reports, for the test to read afterwards.</summary>
internal sealed class RecordingTrainingReport : ITrainingReport
{
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<StepMetrics> _steps = new();
    private readonly ConcurrentQueue<EpochMetrics> _epochs = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public IReadOnlyList<StepMetrics> Steps => [.. _steps];

    public IReadOnlyList<EpochMetrics> Epochs => [.. _epochs];

    public void Line(string text) => _lines.Enqueue(text);

    public void Step(StepMetrics step) => _steps.Enqueue(step);

    public void Epoch(EpochMetrics epoch) => _epochs.Enqueue(epoch);
}
