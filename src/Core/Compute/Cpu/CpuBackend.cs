using Distributed.Core.Tensors;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// The managed CPU backend: a packed, register-tiled SGEMM on System.Runtime.Intrinsics, convolution through
/// im2col + GEMM, and vectorised element-wise and optimizer kernels, run on a fixed <see cref="ThreadTeam"/>.
/// Every reduction runs in a fixed order whatever the thread count, so results are bitwise reproducible, and
/// nothing is allocated per call once scratch buffers have grown to the model's sizes.
/// </summary>
public sealed partial class CpuBackend : IComputeBackend
{
    private readonly ThreadTeam _team;
    private readonly Dictionary<Type, IParallelWork> _taskWorks = [];

    private readonly CpuGemm _gemm;

    public CpuBackend(int threads = 0)
        : this(threads, SimdSupport.Best)
    {
    }

    /// <summary>A backend whose GEMM uses the given register width (tests run every width the processor has).</summary>
    internal CpuBackend(int threads, SimdWidth width)
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        _team = new ThreadTeam(Threads);
        _gemm = new CpuGemm(_team, width);
    }

    // Host memory is where a CPU tensor lives: there is nothing to copy either way.
    public void Upload(Tensor t)
    {
    }

    public void Download(Tensor t)
    {
    }

    public string Name => $"cpu ({Threads} thread{(Threads == 1 ? "" : "s")}, {SimdSupport.Describe(_gemm.Width)})";

    public int Threads { get; }

    /// <summary>How many tasks to split work into: one per thread, but none smaller than about 32K multiply-adds.</summary>
    private int TasksFor(int count, long workPerItem)
    {
        const long minWorkPerTask = 1 << 15;
        return (int)Math.Clamp(count * workPerItem / minWorkPerTask, 1, Math.Min(Threads, Math.Max(count, 1)));
    }

    /// <summary>
    /// Runs body over [0, count) in contiguous blocks on the team; serially when the work is small. The body is a
    /// static lambda and its inputs travel in a struct, so a call allocates nothing.
    /// </summary>
    private void ParallelRanges<TState>(int count, long workPerItem, in TState state, RangeBody<TState> body) =>
        ParallelTasks(TasksFor(count, workPerItem), new Ranges<TState>(state, body, count), static (in Ranges<TState> r, int task, int tasks) =>
            r.Body(r.State, (int)((long)r.Count * task / tasks), (int)((long)r.Count * (task + 1) / tasks)));

    private readonly record struct Ranges<TState>(TState State, RangeBody<TState> Body, int Count);

    /// <summary>
    /// Runs body(task, tasks) for each of <paramref name="tasks"/> tasks on the team (capped at the thread count), for
    /// work that keeps per-task scratch: task t may use scratch slot t, since no two running tasks share an index.
    /// </summary>
    private void ParallelTasks<TState>(int tasks, in TState state, TaskBody<TState> body)
    {
        tasks = Math.Clamp(tasks, 1, Threads);
        if (tasks == 1)
        {
            body(state, 0, 1);
            return;
        }

        if (!_taskWorks.TryGetValue(typeof(TState), out var cached))
        {
            cached = new TaskWork<TState>();
            _taskWorks[typeof(TState)] = cached;
        }

        var work = (TaskWork<TState>)cached;
        work.Set(state, body, tasks);
        try
        {
            _team.Run(work, tasks);
        }
        finally
        {
            work.Clear();
        }
    }

    private delegate void RangeBody<TState>(in TState state, int start, int end);

    private delegate void TaskBody<TState>(in TState state, int task, int tasks);

    private sealed class TaskWork<TState> : IParallelWork
    {
        private TState _state = default!;
        private TaskBody<TState>? _body;
        private int _tasks;

        public void Set(in TState state, TaskBody<TState> body, int tasks)
        {
            _state = state;
            _body = body;
            _tasks = tasks;
        }

        public void Clear()
        {
            _state = default!;
            _body = null;
        }

        public void Execute(int task) => _body!(_state, task, _tasks);
    }
}
