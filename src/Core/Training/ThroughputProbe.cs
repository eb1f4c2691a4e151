using System.Diagnostics;

namespace Distributed.Core.Training;

/// <summary>What a throughput measurement saw over its timed steps (warm-up excluded).</summary>
public sealed record ThroughputResult(int Steps, int BatchSize, double Seconds, long AllocatedBytes)
{
    public double SamplesPerSecond => Steps * (double)BatchSize / Seconds;

    public double MsPerStep => Seconds * 1000 / Steps;

    /// <summary>Managed bytes allocated per step on every thread of the process.</summary>
    public double AllocatedBytesPerStep => AllocatedBytes / (double)Steps;
}

/// <summary>
/// Times training steps the way the libtorch anchor does (warm-up steps first, then a fixed number timed
/// back to back) and counts the managed bytes allocated meanwhile, on every thread: the proof that the step loop
/// allocates nothing once its buffers are planned.
/// </summary>
public static class ThroughputProbe
{
    public static ThroughputResult Measure(Action<int> step, int warmupSteps, int steps, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        for (var s = 0; s < warmupSteps; s++)
        {
            step(s);
        }

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (var s = 0; s < steps; s++)
        {
            step(warmupSteps + s);
        }

        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return new ThroughputResult(steps, batchSize, clock.Elapsed.TotalSeconds, allocated);
    }
}
