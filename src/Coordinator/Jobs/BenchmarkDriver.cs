using Distributed.Protocol;

namespace Distributed.Coordinator.Jobs;

/// <summary>One measured all-reduce size.</summary>
internal sealed record AllReduceTiming(long Bytes, double Ms, double BusBandwidthGbps, int Iterations, double MedianMs);

/// <summary>Drives the collectives benchmark: start the workers, gather rank 0's timings, finish.</summary>
internal sealed class BenchmarkDriver(JobCoordinator job, Action<AllReduceTiming> onRow)
{
    public async Task<IReadOnlyList<AllReduceTiming>> RunAsync(CancellationToken cancel)
    {
        await job.WaitForWorkersAsync(cancel).ConfigureAwait(false);
        for (var ready = 0; ready < job.Plan.WorldSize; ready++)
        {
            var (rank, message) = await job.NextAsync(Awaited.Ready, cancel).ConfigureAwait(false);
            if (message.BodyCase != WorkerMessage.BodyOneofCase.Ready)
            {
                throw JobCoordinator.Unexpected(rank, message, Awaited.Ready);
            }
        }

        job.Broadcast(new CoordinatorMessage { Start = new Start() });
        var timings = new Awaited(0, "the benchmark's timings");
        var rows = new List<AllReduceTiming>();
        var finished = 0;
        while (finished < job.Plan.WorldSize)
        {
            var (rank, message) = await job.NextAsync(timings, cancel).ConfigureAwait(false);
            switch (message.BodyCase)
            {
                case WorkerMessage.BodyOneofCase.BenchRow:
                    var row = message.BenchRow;
                    var n = job.Plan.WorldSize;

                    // Bus bandwidth as the NCCL and MPI tests report it: algorithm bandwidth × 2(N−1)/N.
                    var bus = row.Bytes / (row.Milliseconds / 1000) * 2 * (n - 1) / n / 1e9;
                    var timing = new AllReduceTiming(row.Bytes, row.Milliseconds, bus, row.Iterations, row.MedianMilliseconds);
                    rows.Add(timing);
                    onRow(timing);
                    break;
                case WorkerMessage.BodyOneofCase.Finished:
                    finished++;
                    break;
                default:
                    throw JobCoordinator.Unexpected(rank, message, timings);
            }
        }

        job.Broadcast(new CoordinatorMessage { Finish = new Finish() });
        return rows;
    }
}
