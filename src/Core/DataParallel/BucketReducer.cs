using System.Diagnostics;
using System.Threading.Tasks.Sources;

namespace Distributed.Core.DataParallel;

/// <summary>
/// Reduces one step's gradient buckets in launch order on the thread pool while backward goes on with earlier
/// layers, and lets the step await them all. A step costs no task, closure or state machine: one reusable
/// awaitable, the pump queued as its own work item, and a ring reduction that finishes later (gRPC) resumes the pump
/// through a cached callback. (Chaining an async method per bucket rented a pooled box per bucket from the backward
/// thread and returned it on another, so most steps allocated fresh ones.)
/// </summary>
internal sealed class BucketReducer : IThreadPoolWorkItem, IValueTaskSource
{
    private readonly int _count;
    private readonly Func<int, long, CancellationToken, Task> _start;
    private readonly Action<int> _finish;
    private readonly Action _resume;
    private ManualResetValueTaskSourceCore<bool> _done;
    private long _step;
    private CancellationToken _cancel;
    private int _launched;
    private int _next;
    private int _pumping;
    private Task? _inFlight;
    private Exception? _failure;
    private Activity? _span;

    /// <param name="count">Buckets per step.</param>
    /// <param name="start">Starts bucket b's reduction for a step; the task ends when it is reduced.</param>
    /// <param name="finish">Runs after bucket b's reduction succeeded (a device backend takes the sums back).</param>
    public BucketReducer(int count, Func<int, long, CancellationToken, Task> start, Action<int> finish)
    {
        _count = count;
        _start = start;
        _finish = finish;
        _resume = Pump;
    }

    public int Launched => Volatile.Read(ref _launched);

    /// <summary>Begins a step: no bucket is launched yet.</summary>
    public void Begin(long step, CancellationToken cancel)
    {
        _done.Reset();
        (_step, _cancel, _launched, _next, _failure) = (step, cancel, 0, 0, null);

        // The pump runs without the step's execution context (flowing it would allocate), so the collectives' spans
        // are made children of the step's span by hand; with tracing off this is null and sets nothing.
        _span = Activity.Current;
    }

    /// <summary>Bucket <paramref name="bucket"/>'s gradients are final; buckets are launched in index order.</summary>
    public void Launch(int bucket)
    {
        if (bucket != _launched)
        {
            throw new InvalidOperationException($"bucket {bucket} launched after {_launched} of {_count}");
        }

        Volatile.Write(ref _launched, bucket + 1);
        if (Interlocked.CompareExchange(ref _pumping, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Completes once every bucket of the step is reduced, or with the first failure.</summary>
    public ValueTask AllReduced() => _count == 0 ? ValueTask.CompletedTask : new ValueTask(this, _done.Version);

    void IThreadPoolWorkItem.Execute() => Pump();

    /// <summary>Reduces launched buckets until none is left to do now; only one pump runs at a time.</summary>
    private void Pump()
    {
        var outer = Activity.Current;
        Activity.Current = _span;
        try
        {
            PumpInStep();
        }
        finally
        {
            Activity.Current = outer;
        }
    }

    private void PumpInStep()
    {
        while (true)
        {
            if (_inFlight is { } finished)
            {
                _inFlight = null;
                Complete(finished);
            }

            while (_next < Volatile.Read(ref _launched))
            {
                Task reduction;
                try
                {
                    // After a failure the remaining buckets are only counted off, so the step can end.
                    reduction = _failure is null ? _start(_next, _step, _cancel) : Task.CompletedTask;
                }
                catch (Exception ex)
                {
                    reduction = Task.FromException(ex);
                }

                if (!reduction.IsCompleted)
                {
                    _inFlight = reduction;
                    reduction.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_resume);
                    return;
                }

                Complete(reduction);
            }

            // Done or idle: stop pumping first, so a launch from here on (the next step, started as soon as this one
            // completes) queues a pump of its own.
            Volatile.Write(ref _pumping, 0);
            if (_next == _count)
            {
                if (_failure is { } failure)
                {
                    _done.SetException(failure);
                }
                else
                {
                    _done.SetResult(true);
                }

                return;
            }

            // A bucket launched between the last look and the stop would otherwise wait for the next launch.
            if (_next >= Volatile.Read(ref _launched) || Interlocked.CompareExchange(ref _pumping, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void Complete(Task reduction)
    {
        if (_failure is null)
        {
            try
            {
                reduction.GetAwaiter().GetResult();
                _finish(_next);
            }
            catch (Exception ex)
            {
                _failure = ex;
            }
        }

        _next++;
    }

    void IValueTaskSource.GetResult(short token) => _done.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _done.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _done.OnCompleted(continuation, state, token, flags);
}
