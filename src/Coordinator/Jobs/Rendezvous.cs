using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// Admits workers until the job has all of them, then hands out ranks: a worker that asked for a rank (its
/// Kubernetes completion index) gets it, the others fill the free ranks in the order they joined. Refuses a worker
/// of another job, with another configuration, with a taken or impossible rank, or beyond the world size.
/// </summary>
internal sealed class Rendezvous(JobPlan plan)
{
    private readonly List<WorkerSession> _joined = [];
    private readonly TaskCompletionSource<WorkerSession[]> _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<WorkerSession[]> Complete => _complete.Task;

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

    public WorkerSession Admit(JoinRequest join)
    {
        lock (_joined)
        {
            if (_complete.Task.IsCompleted)
            {
                throw Refuse(StatusCode.ResourceExhausted, $"the job already has its {plan.WorldSize} workers");
            }

            if (join.JobId != plan.JobId)
            {
                throw Refuse(StatusCode.FailedPrecondition, $"this coordinator runs job '{plan.JobId}', not '{join.JobId}'");
            }

            if (join.Config != plan.Config)
            {
                throw Refuse(StatusCode.FailedPrecondition, $"the worker's configuration differs from the coordinator's: {JobConfig.Difference(join.Config, plan.Config)}");
            }

            if (join.RequestedRank >= plan.WorldSize || join.RequestedRank < -1)
            {
                throw Refuse(StatusCode.InvalidArgument, $"rank {join.RequestedRank} is outside a world of {plan.WorldSize}");
            }

            if (join.RequestedRank >= 0 && _joined.Any(s => s.Join.RequestedRank == join.RequestedRank))
            {
                throw Refuse(StatusCode.AlreadyExists, $"rank {join.RequestedRank} has already joined");
            }

            var session = new WorkerSession(join, _joined.Count);
            _joined.Add(session);
            if (_joined.Count == plan.WorldSize)
            {
                AssignRanks();
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
            }
        }
    }

    private void AssignRanks()
    {
        var byRank = new WorkerSession[plan.WorldSize];
        foreach (var s in _joined.Where(s => s.Join.RequestedRank >= 0))
        {
            s.Rank = s.Join.RequestedRank;
            byRank[s.Rank] = s;
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
