using Distributed.Core.Tensors;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// The managed CPU backend: portable SIMD (Vector&lt;float&gt;) and Parallel.For over rows. Every reduction
/// runs in a fixed order whatever the thread count, so results are bitwise reproducible.
/// </summary>
public sealed partial class CpuBackend : IComputeBackend
{
    private readonly ParallelOptions _parallel;

    public CpuBackend(int threads = 0)
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };
    }

    public string Name => $"cpu ({Threads} thread{(Threads == 1 ? "" : "s")})";

    public int Threads { get; }

    private static void RequireSameLength(Tensor a, Tensor b, string what)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException($"{what}: lengths differ ({a.Length} vs {b.Length})");
        }
    }

    private static void RequireLength(Tensor t, int length, string what)
    {
        if (t.Length < length)
        {
            throw new ArgumentException($"{what}: needs {length} elements, has {t.Length}");
        }
    }

    /// <summary>Runs body over [0, count) in contiguous blocks; serially when the work is small.</summary>
    private void ParallelRanges(int count, long workPerItem, Action<int, int> body)
    {
        const long minWorkPerTask = 1 << 15;
        var tasks = (int)Math.Clamp(count * workPerItem / minWorkPerTask, 1, Math.Min(Threads, count));
        if (tasks <= 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, tasks, _parallel, t =>
        {
            var start = (int)((long)count * t / tasks);
            var end = (int)((long)count * (t + 1) / tasks);
            body(start, end);
        });
    }
}
