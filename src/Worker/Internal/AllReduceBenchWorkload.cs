using System.Diagnostics;
using Distributed.Core.Collectives;
using Distributed.Protocol;

namespace Distributed.Worker.Internal;

/// <summary>
/// Times ring all-reduces of each message size over the real transport. Every rank runs the same sequence (the
/// iteration count depends only on the size), so the ring itself keeps them in step; rank 0 reports the times.
/// </summary>
internal sealed class AllReduceBenchWorkload(IReadOnlyList<long> sizesInBytes) : IWorkload
{
    public Ready Describe(int worldSize, int rank) => new();

    /// <summary>Enough repetitions to move about 1 GB per size, between 5 and 200, after one warm-up.</summary>
    public static int Iterations(long bytes) => (int)Math.Clamp(1_000_000_000 / Math.Max(bytes, 1), 5, 200);

    public async Task RunAsync(WorkerContext context, CancellationToken cancel)
    {
        context.Session.Send(new WorkerMessage { Ready = Describe(context.WorldSize, context.Rank) });
        var start = await context.Session.NextAsync(cancel).ConfigureAwait(false);
        if (start.BodyCase != CoordinatorMessage.BodyOneofCase.Start)
        {
            throw new WorkerException($"expected the start of the benchmark, got {start.BodyCase}");
        }

        var largest = (int)(sizesInBytes.Max() / sizeof(float));
        var buffer = new float[Math.Max(1, largest)];
        var rng = new Core.Tensors.Rng(7 + (ulong)context.Rank);
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (float)rng.NextDouble();
        }

        var ticks = new long[Iterations(1)];
        var step = 0L;
        foreach (var bytes in sizesInBytes)
        {
            var floats = (int)Math.Max(1, bytes / sizeof(float));
            var memory = buffer.AsMemory(0, floats);
            var iterations = Iterations(bytes);
            await context.Ring.AllReduceAsync(memory, new CollectiveTag(step++, 0), cancel).ConfigureAwait(false);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < iterations; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await context.Ring.AllReduceAsync(memory, new CollectiveTag(step++, 0), cancel).ConfigureAwait(false);
                ticks[i] = Stopwatch.GetTimestamp() - started;

                // Keep the values bounded: repeated sums over N ranks would otherwise overflow to infinity.
                memory.Span[0] = 1f;
            }

            clock.Stop();
            if (context.Rank == 0)
            {
                context.Session.Send(new WorkerMessage { BenchRow = new BenchRow { Bytes = (long)floats * sizeof(float), Milliseconds = clock.Elapsed.TotalMilliseconds / iterations, Iterations = iterations, MedianMilliseconds = Median(ticks.AsSpan(0, iterations)) } });
            }
        }

        context.Session.Send(new WorkerMessage { Finished = new Finished() });
        var finish = await context.Session.NextAsync(cancel).ConfigureAwait(false);
        if (finish.BodyCase != CoordinatorMessage.BodyOneofCase.Finish)
        {
            throw new WorkerException($"expected the end of the benchmark, got {finish.BodyCase}");
        }
    }

    private static double Median(Span<long> ticks)
    {
        ticks.Sort();
        return ticks[ticks.Length / 2] * 1000.0 / Stopwatch.Frequency;
    }
}
