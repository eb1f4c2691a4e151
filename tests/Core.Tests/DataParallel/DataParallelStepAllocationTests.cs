using Distributed.Core.Collectives;
using Distributed.Core.Tests.Collectives.SharedMemory;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.DataParallel;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;

namespace Distributed.Core.Tests.DataParallel;

/// <summary>
/// A warm data-parallel step (backward, the bucket reductions through the shared-memory ring, the update, ZeRO's
/// gathers) allocates nothing, on any rank, at any stage, with one bucket or several. Counted over the whole
/// process, so it runs alone.
/// </summary>
[Collection(nameof(WholeProcessAllocations))]
public sealed class DataParallelStepAllocationTests
{
    private const int Ranks = 2;
    private const int Batch = 16;

    [Theory]
    [InlineData(ZeroStage.None, 1 << 20)]
    [InlineData(ZeroStage.None, 50_000)]
    [InlineData(ZeroStage.OptimizerState, 50_000)]
    [InlineData(ZeroStage.Gradients, 50_000)]
    public async Task AWarmStepOnEveryRankAllocatesNothing(ZeroStage zero, int bucketFloats)
    {
        var data = SyntheticData.Create([784], classes: 10, count: 64, seed: 3);
        ThreadPool.GetMinThreads(out var minWorkers, out var minPorts);
        var (transports, offers) = await ShmLinks.ConnectAsync(Ranks, RingCollectives.DefaultChunkFloats, required: true);
        try
        {
            var trainers = Enumerable.Range(0, Ranks).Select(r =>
            {
                var model = ModelZoo.Create("mlp", data.SampleShape, 10, new CpuBackend(1), new ModelOptions(1));
                var settings = new OptimizerSettings { Name = "adam", Lr = 1e-3, MaxGradNorm = 5 };
                var ring = new RingCollectives(transports[r], RingCollectives.DefaultChunkFloats, TimeSpan.FromSeconds(30));
                return new DataParallelTrainer(model, settings, new ScheduleSettings().Create(1000), ring, new DataParallelOptions(zero, bucketFloats), data.TargetLength);
            }).ToArray();
            // The ring reductions run on the pool and wait there for the other rank: with enough threads started up
            // front, the pool never adds one (which allocates) in the middle of a window.
            ThreadPool.SetMinThreads(Math.Max(minWorkers, 16), minPorts);

            // Each rank loops on a thread of its own, as in a worker process (a ring receive waits on its thread),
            // and waits for each step without allocating, so whatever is allocated between the marks is the steps'.
            const int Windows = 5;
            const int StepsPerWindow = 20;
            var global = Enumerable.Range(0, Batch).ToArray();
            // Windows are handed over through counters, polled: a wait handle allocates on its first blocking wait, and a
            // spinning test thread would starve the pool the ring reductions run on.
            var started = -1;
            var finished = 0;
            var threads = Enumerable.Range(0, Ranks).Select(rank => new Thread(() =>
            {
                var (start, count) = BatchShards.Of(Batch, rank, Ranks);
                var stepDone = new ManualResetEventSlim();
                Action signal = stepDone.Set;
                long step = 0;
                for (var window = 0; window <= Windows; window++)
                {
                    while (Volatile.Read(ref started) < window)
                    {
                        Thread.Sleep(1);
                    }

                    for (var s = 0; s < StepsPerWindow; s++)
                    {
                        stepDone.Reset();
                        var awaiter = trainers[rank].StepAsync(data, global.AsMemory(start, count), Batch, start, ++step, CancellationToken.None).ConfigureAwait(false).GetAwaiter();
                        if (!awaiter.IsCompleted)
                        {
                            awaiter.UnsafeOnCompleted(signal);
                            stepDone.Wait();
                        }

                        awaiter.GetResult();
                    }

                    Interlocked.Increment(ref finished);
                }
            })).ToArray();
            foreach (var thread in threads)
            {
                thread.Start();
            }

            // Window 0 warms up; then the quietest of five, so a one-off runtime event (a pooled state machine that had
            // to be made anew once) does not count.
            var allocated = new long[Windows];
            for (var window = 0; window <= Windows; window++)
            {
                var before = GC.GetTotalAllocatedBytes(precise: true);
                Volatile.Write(ref started, window);
                var deadline = Environment.TickCount64 + 60_000;
                while (Volatile.Read(ref finished) < Ranks * (window + 1) && Environment.TickCount64 < deadline)
                {
                    Thread.Sleep(1);
                }

                Assert.True(Volatile.Read(ref finished) == Ranks * (window + 1), "a window of steps did not finish within a minute");

                if (window > 0)
                {
                    allocated[window - 1] = GC.GetTotalAllocatedBytes(precise: true) - before;
                }
            }

            foreach (var thread in threads)
            {
                thread.Join();
            }

            // Counted over the whole process, a window can hold one object of the runtime's own (168 bytes were seen
            // now and then, not growing with the window); a step that allocated even one 24-byte object would leave
            // at least 480 bytes in every window.
            const int SmallestObject = 24;
            Assert.True(allocated.Min() < StepsPerWindow * SmallestObject, $"bytes allocated in {Windows} windows of {StepsPerWindow} warm steps on {Ranks} ranks: {string.Join(", ", allocated)}");
        }
        finally
        {
            ThreadPool.SetMinThreads(minWorkers, minPorts);
            foreach (var transport in transports)
            {
                await transport.DisposeAsync();
            }

            foreach (var offer in offers)
            {
                offer.Dispose();
            }
        }
    }
}

/// <summary>Tests that count the whole process's allocations run alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(WholeProcessAllocations), DisableParallelization = true)]
public sealed class WholeProcessAllocations;
