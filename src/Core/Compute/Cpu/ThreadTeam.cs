using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Distributed.Core.Compute.Cpu;

/// <summary>One parallel region's work: task t of a region runs <see cref="Execute"/> exactly once.</summary>
internal interface IParallelWork
{
    void Execute(int task);
}

/// <summary>
/// A fixed team of threads for the backend's parallel regions. Parallel.For allocates a closure, a loop state
/// and task objects on every call and wakes pool threads that went to sleep between the dozens of short
/// regions in one training step; this team allocates nothing per region and keeps its threads spinning for a
/// short while after each one, so the next region starts within a microsecond or two.
///
/// The calling thread takes part and claims tasks from the same counter as the helpers, so a region finishes
/// even if no helper ever wakes: helpers only add speed, never correctness. Each region is published under a
/// new even sequence number (odd while its fields are being written), and a task is claimed by a
/// compare-and-swap on (sequence, next index), so a helper that read a region late can never run a task of
/// the next one. Helpers that stay idle past <see cref="IdleExit"/> exit and are started again on demand, so
/// backends that are created and dropped (tests, evaluation) do not leave threads behind.
/// </summary>
internal sealed class ThreadTeam
{
    private static readonly TimeSpan Spin = TimeSpan.FromMicroseconds(200);
    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(2);

    private readonly int _helpers;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private long _sequence;
    private long _claim;
    private int _done;
    private int _sleepers;
    private int _running;
    private IParallelWork? _work;
    private int _tasks;
    private ExceptionDispatchInfo? _error;
    private bool _inRegion;

    public ThreadTeam(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        _helpers = threads - 1;
    }

    public int Threads => _helpers + 1;

    /// <summary>Runs tasks [0, tasks) of work on the team and returns when all have finished.</summary>
    public void Run(IParallelWork work, int tasks)
    {
        if (tasks <= 1 || _helpers == 0)
        {
            for (var t = 0; t < tasks; t++)
            {
                work.Execute(t);
            }

            return;
        }

        if (_inRegion)
        {
            throw new InvalidOperationException("parallel regions do not nest: the backend serves one thread at a time");
        }

        _inRegion = true;
        try
        {
            var sequence = Publish(work, tasks);
            EnsureHelpers();
            Participate(sequence, work, tasks);
            var wait = new SpinWait();
            while (Volatile.Read(ref _done) < tasks)
            {
                wait.SpinOnce(sleep1Threshold: -1);
            }

            _work = null;
            var error = Interlocked.Exchange(ref _error, null);
            error?.Throw();
        }
        finally
        {
            _inRegion = false;
        }
    }

    private long Publish(IParallelWork work, int tasks)
    {
        var sequence = _sequence + 2;
        Volatile.Write(ref _sequence, sequence - 1);
        _work = work;
        _tasks = tasks;
        _done = 0;
        Volatile.Write(ref _claim, sequence << 32);
        Volatile.Write(ref _sequence, sequence);
        var sleepers = Interlocked.Exchange(ref _sleepers, 0);
        if (sleepers > 0)
        {
            _wake.Release(sleepers);
        }

        return sequence;
    }

    private void Participate(long sequence, IParallelWork work, int tasks)
    {
        while (true)
        {
            var claim = Volatile.Read(ref _claim);
            var index = (int)(claim & 0xFFFF_FFFF);
            if (claim >> 32 != sequence || index >= tasks)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _claim, claim + 1, claim) != claim)
            {
                continue;
            }

            try
            {
                work.Execute(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }

            Interlocked.Increment(ref _done);
        }
    }

    private void EnsureHelpers()
    {
        if (Volatile.Read(ref _running) == _helpers)
        {
            return;
        }

        lock (_gate)
        {
            while (_running < _helpers)
            {
                _running++;
                var thread = new Thread(HelperLoop) { IsBackground = true, Name = "cpu-backend-helper" };
                thread.Start();
            }
        }
    }

    private void HelperLoop()
    {
        long seen = 0;
        while (true)
        {
            var sequence = WaitForRegion(seen);
            if (sequence < 0)
            {
                return;
            }

            seen = sequence;
            var work = _work;
            var tasks = _tasks;
            if (work is not null && Volatile.Read(ref _sequence) == sequence)
            {
                Participate(sequence, work, tasks);
            }
        }
    }

    /// <summary>The next published sequence after <paramref name="seen"/>, or −1 when this helper should exit.</summary>
    private long WaitForRegion(long seen)
    {
        var spinUntil = Stopwatch.GetTimestamp() + (long)(Spin.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var sequence = Volatile.Read(ref _sequence);
            if (sequence != seen && (sequence & 1) == 0)
            {
                return sequence;
            }

            if (Stopwatch.GetTimestamp() < spinUntil)
            {
                Thread.SpinWait(20);
                continue;
            }

            Interlocked.Increment(ref _sleepers);
            if (Volatile.Read(ref _sequence) != seen)
            {
                // Published while registering: run it now; the permit it released is a harmless spurious wake later.
                continue;
            }

            if (!_wake.Wait(IdleExit))
            {
                lock (_gate)
                {
                    if (Volatile.Read(ref _sequence) == seen)
                    {
                        _running--;
                        return -1;
                    }
                }
            }

            spinUntil = Stopwatch.GetTimestamp() + (long)(Spin.TotalSeconds * Stopwatch.Frequency);
        }
    }
}
