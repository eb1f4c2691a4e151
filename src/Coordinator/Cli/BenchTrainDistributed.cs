using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Training;
using Distributed.Protocol;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `bench train --workers N`: the same measurement across N local worker processes over gRPC. The job is an
/// ordinary `train --workers N` run on 8,192 synthetic samples with the global batch split across the workers;
/// the figure is the global batch over the coordinator's per-step time (evaluation between epochs excluded),
/// and allocations are each worker's managed bytes between the end of warm-up and the last timed step.
/// </summary>
internal static class BenchTrainDistributed
{
    public static async Task<DistributedThroughput> RunAsync(string model, int batchSize, string device, int threads, int steps, int warmup, int workers, int syntheticSamples, TextWriter output, CancellationToken cancel)
    {
        var stepsPerEpoch = (syntheticSamples + batchSize - 1) / batchSize;
        var epochs = (warmup + steps + stepsPerEpoch - 1) / stepsPerEpoch;
        var o = new TrainOptionsSet();
        var d = new DistributedOptionsSet();
        var command = new Command("train");
        foreach (var option in o.All.Concat(d.ForTrain))
        {
            command.Add(option);
        }

        string[] args =
        [
            "--model", model, "--data", "synthetic", "--synthetic-samples", Invariant(syntheticSamples), "--batch-size", Invariant(batchSize),
            "--epochs", Invariant(epochs), "--workers", Invariant(workers), "--threads", Invariant(threads), "--device", device,
        ];
        var parsed = command.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            throw new UsageException(parsed.Errors[0].Message);
        }

        var timing = new StepTiming(warmup, steps, workers);
        await TrainCommand.RunLocalJobAsync(o, d, parsed, workers, output, cancel, (job, coordinator, _, token) => DriveAsync(job, coordinator, timing, token));
        return timing.Result(batchSize);
    }

    private static async Task<int> DriveAsync(TrainJob job, JobCoordinator coordinator, StepTiming timing, CancellationToken cancel)
    {
        var driver = new TrainingDriver(coordinator, timing, _ => job.OptimizerSettings.Lr) { StepReported = timing.Reported };
        try
        {
            await driver.RunAsync(cancel).ConfigureAwait(false);
            coordinator.End(null);
        }
        catch (JobFailedException ex)
        {
            coordinator.End(ex.Message);
            throw;
        }
        catch (OperationCanceledException)
        {
            coordinator.End("the benchmark was stopped");
            throw;
        }

        return CliApp.Ok;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

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
