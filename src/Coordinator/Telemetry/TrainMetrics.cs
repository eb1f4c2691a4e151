using System.Diagnostics;
using Distributed.Core.Telemetry;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Telemetry;

/// <summary>Records the job-wide training metrics (train.*) from the step and epoch reports, in one place for both kinds of run.</summary>
internal static class TrainMetrics
{
    public static void Step(StepMetrics s)
    {
        Instruments.StepDuration.Record(s.Seconds);
        Instruments.Samples.Add(s.BatchSize);
        Instruments.Loss.Record(s.Loss);
        if (s.Seconds > 0)
        {
            Instruments.Throughput.Record(s.BatchSize / s.Seconds);
        }
    }

    public static void Epoch(EpochMetrics e)
    {
        if (!Instruments.Accuracy.Enabled)
        {
            return;
        }

        if (e.TrainAccuracy is { } train)
        {
            Instruments.Accuracy.Record(train, new TagList { { "split", "train" } });
        }

        if (e.TestAccuracy is { } test)
        {
            Instruments.Accuracy.Record(test, new TagList { { "split", "test" } });
        }
    }
}
