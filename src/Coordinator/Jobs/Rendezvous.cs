using System.Diagnostics;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// Admits workers until the job has all of them, then hands out ranks: a worker that asked for a rank (its
/// Kubernetes completion index) gets it, the others fill the free ranks in the order they joined. Refuses a worker
/// of another job, with another configuration, with a taken or impossible rank, or beyond the world size.
/// After a restart (<see cref="JobPlan.Rejoin"/>) it may close with fewer: see <see cref="CloseIfDue"/>.
/// </summary>
internal sealed class Rendezvous(JobPlan plan)
{
    private readonly List<WorkerSession> _joined = [];
    private readonly Dictionary<int, string> _gone = [];
    private readonly TaskCompletionSource<WorkerSession[]> _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The <see cref="Stopwatch"/> timestamp since which at least the rejoin policy's minimum has been in; 0 while fewer are.</summary>
    private long _quorumSince;

    /// <summary>The workers by rank, once the door has closed: all of the plan's, or after a restart at least its minimum.</summary>
    public Task<WorkerSession[]> Complete => _complete.Task;

    /// <summary>When the door closed with fewer than the plan's world: which ranks did not come back and why, in one line; null otherwise.</summary>
    public string? Shortfall { get; private set; }

    public int JoinedCount
    {
        get
        {
            lock (_joined)
            {
                return _joined.Count;
            }
        }
    }

    /// <summary>Whether enough workers may still join for the door to close: false once too many are known gone.</summary>
    public bool CanStillClose
    {
        get
        {
            lock (_joined)
            {
                return plan.WorldSize - _gone.Count >= Minimum;
            }
        }
    }

    /// <summary>The fewest workers the door closes with.</summary>
    public int Minimum => plan.Rejoin?.MinWorkers ?? plan.WorldSize;

    /// <summary>The ranks a worker may ask for: the job's first world, even after it shrank (a pod keeps its completion index).</summary>
    private int RankLimit => plan.Rejoin?.FullWorldSize ?? plan.WorldSize;

    public WorkerSession Admit(JoinRequest join)
    {
        lock (_joined)
        {
            if (_complete.Task.IsCompleted)
            {
                throw Refuse(StatusCode.ResourceExhausted, $"the job already has its {_complete.Task.Result.Length} workers");
            }

            if (join.JobId != plan.JobId)
            {
                throw Refuse(StatusCode.FailedPrecondition, $"this coordinator runs job '{plan.JobId}', not '{join.JobId}'");
            }

            if (join.Config != plan.Config)
            {
                throw Refuse(StatusCode.FailedPrecondition, $"the worker's configuration differs from the coordinator's: {JobConfig.Difference(join.Config, plan.Config)}");
            }

            if (join.RequestedRank >= RankLimit || join.RequestedRank < -1)
            {
                throw Refuse(StatusCode.InvalidArgument, $"rank {join.RequestedRank} is outside a world of {RankLimit}");
            }

            if (join.RequestedRank >= 0 && _joined.Any(s => s.Join.RequestedRank == join.RequestedRank))
            {
                throw Refuse(StatusCode.AlreadyExists, $"rank {join.RequestedRank} has already joined");
            }

            var session = new WorkerSession(join, _joined.Count);
            _joined.Add(session);
            _gone.Remove(join.RequestedRank);
            if (_joined.Count == plan.WorldSize)
            {
                Close();
            }
            else
            {
                CountQuorum();
                CloseIfDue(Stopwatch.GetTimestamp());
            }

            return session;
        }
    }

    /// <summary>A worker that left before the job was complete frees its place.</summary>
    public void Withdraw(WorkerSession session)
    {
        lock (_joined)
        {
            if (!_complete.Task.IsCompleted)
            {
                _joined.Remove(session);
                CountQuorum();
            }
        }
    }

    /// <summary>
    /// The process of the worker for rank <paramref name="rank"/> (the rank it was started to ask for) exited:
    /// <paramref name="what"/> says how. Before the door closes, that worker is no longer waited for (locally nothing
    /// starts it again until the next restart), and the door may close without it at once. Returns false when the
    /// door had already closed: the worker is part of the job, and its loss is the job's.
    /// </summary>
    public bool Gone(int rank, string what)
    {
        lock (_joined)
        {
            if (_complete.Task.IsCompleted)
            {
                return false;
            }

            // Its session, if it had joined, is dead too, whether or not its loss has been noticed yet.
            _gone[rank] = what;
            _joined.RemoveAll(s => s.Join.RequestedRank == rank);
            CountQuorum();
            CloseIfDue(Stopwatch.GetTimestamp());
            return true;
        }
    }

    /// <summary>
    /// After a restart, closes the door with the workers that came back once at least the policy's minimum are in
    /// and either every worker still alive is in or the others have had the rejoin timeout since that quorum
    /// (<paramref name="now"/> is a <see cref="Stopwatch"/> timestamp). Does nothing at a first start.
    /// </summary>
    public void CloseIfDue(long now)
    {
        lock (_joined)
        {
            if (_complete.Task.IsCompleted || plan.Rejoin is not { } rejoin || _joined.Count < rejoin.MinWorkers)
            {
                return;
            }

            var everyoneAlive = _joined.Count == plan.WorldSize - _gone.Count;
            if (everyoneAlive || Stopwatch.GetElapsedTime(_quorumSince, now) >= rejoin.Timeout)
            {
                Shortfall = $"{Missing(rejoin)}; going on with {_joined.Count} of {plan.WorldSize} workers (--min-workers {rejoin.MinWorkers})";
                Close();
            }
        }
    }

    /// <summary>Who did not come back: by rank when every worker in asked for one (as local and Kubernetes workers do), else by count.</summary>
    private string Missing(RejoinPolicy rejoin)
    {
        var timedOut = $"within {rejoin.Timeout.TotalSeconds:0.#} s (--rejoin-timeout)";
        if (_joined.Exists(s => s.Join.RequestedRank < 0))
        {
            return $"{plan.WorldSize - _joined.Count} of {plan.WorldSize} workers did not rejoin{(_gone.Count == plan.WorldSize - _joined.Count ? "" : $" {timedOut}")}";
        }

        var missing = Enumerable.Range(0, plan.WorldSize).Where(r => !_joined.Exists(s => s.Join.RequestedRank == r));
        return string.Join("; ", missing.Select(r => _gone.TryGetValue(r, out var what) ? $"rank {r} did not rejoin ({what})" : $"rank {r} did not rejoin {timedOut}"));
    }

    private void CountQuorum()
    {
        if (_joined.Count < Minimum)
        {
            _quorumSince = 0;
        }
        else if (_quorumSince == 0)
        {
            _quorumSince = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// Hands out the ranks of the world the joined workers make. A worker keeps the rank it asked for when every
    /// asked-for rank fits that world; after a shrink they may not (ranks 0 and 2 of 3 came back), and then they
    /// are numbered in the order of the ranks they asked for, which keeps the ring's order. The others fill the
    /// free ranks in the order they joined.
    /// </summary>
    private void Close()
    {
        var world = _joined.Count;
        var byRank = new WorkerSession[world];
        var asked = _joined.Where(s => s.Join.RequestedRank >= 0).OrderBy(s => s.Join.RequestedRank).ToList();
        var keep = asked.TrueForAll(s => s.Join.RequestedRank < world);
        for (var i = 0; i < asked.Count; i++)
        {
            asked[i].Rank = keep ? asked[i].Join.RequestedRank : i;
            byRank[asked[i].Rank] = asked[i];
        }

        var free = 0;
        foreach (var s in _joined.Where(s => s.Join.RequestedRank < 0).OrderBy(s => s.Order))
        {
            while (byRank[free] is not null)
            {
                free++;
            }

            s.Rank = free;
            byRank[free] = s;
        }

        _complete.TrySetResult(byRank);
    }

    private static RpcException Refuse(StatusCode code, string why) => new(new Status(code, why));
}
