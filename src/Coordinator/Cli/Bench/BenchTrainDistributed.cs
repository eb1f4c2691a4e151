using Distributed.Coordinator.Jobs;
using Distributed.Core.Training;
using Distributed.Protocol;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `bench train --workers N`: the same measurement across N local worker processes over gRPC. The job is an
/// ordinary local training job on synthetic samples with the global batch split across the workers; the figure
/// is the global batch over the coordinator's per-step time (evaluation between epochs excluded), and allocations
/// are each worker's managed bytes between the end of warm-up and the last timed step.
/// </summary>
internal static class BenchTrainDistributed
{
    public static async Task<DistributedThroughput> RunAsync(TrainSettings settings, int steps, int warmup, int workers, string cpuBind, TextWriter output, CancellationToken cancel)
    {
        var stepsPerEpoch = BatchPlan.BatchesFor(settings.SyntheticSamples, settings.BatchSize);
        settings = settings with
        {
            Epochs = (warmup + steps + stepsPerEpoch - 1) / stepsPerEpoch,
            Threads = settings.Threads > 0 ? settings.Threads : Math.Max(1, Environment.ProcessorCount / workers),
        };
        var job = JobSetup.Build(settings, JobRole.Coordinator);
        var coordinator = new JobCoordinator(JobSetup.Plan(job, workers, $"bench-{Environment.ProcessId}"));
        var timing = new StepTiming(warmup, steps, workers);
        var workload = new TrainOptionsSet().WorkerArguments(settings).ToArray();
        var placement = CpuPlacement.Local(cpuBind, workers, settings.Threads);
        output.WriteLine($"workers {placement.Description}");
        await JobRunner.RunAsync(coordinator, "127.0.0.1", 0, new LocalWorkers(workers, workload, placement), output,
            (c, token) => new TrainingDriver(c, timing, _ => settings.Optimizer.Lr) { StepReported = timing.Reported }.RunAsync(token), cancel);
        return timing.Result(settings.BatchSize);
    }

    /// <summary>Collects per-step coordinator times and the workers' allocation counters over the timed window.</summary>
    private sealed class StepTiming(int warmup, int steps, int workers) : ITrainingReport
    {
        private readonly long[] _allocatedAtStart = new long[workers];
        private readonly long[] _allocatedAtEnd = new long[workers];
        private double _seconds;

        public void Line(string text)
        {
        }

        public void Epoch(EpochMetrics epoch)
        {
        }

        public void Step(StepMetrics step)
        {
            if (step.Step > warmup && step.Step <= warmup + steps)
            {
                _seconds += step.Seconds;
            }
        }

        public void Reported(long step, StepDone[] reports)
        {
            if (step == warmup || step == warmup + steps)
            {
                var into = step == warmup ? _allocatedAtStart : _allocatedAtEnd;
                for (var rank = 0; rank < reports.Length; rank++)
                {
                    into[rank] = reports[rank].AllocatedBytes;
                }
            }
        }

        public DistributedThroughput Result(int batchSize)
        {
            var perRank = _allocatedAtEnd.Zip(_allocatedAtStart, (end, start) => (end - start) / (double)steps).ToArray();
            return new DistributedThroughput(new ThroughputResult(steps, batchSize, _seconds, (long)perRank.Max() * steps), perRank);
        }
    }
}

/// <summary>A distributed throughput figure and each worker's managed bytes allocated per step.</summary>
internal sealed record DistributedThroughput(ThroughputResult Throughput, double[] AllocatedBytesPerStepByRank);
