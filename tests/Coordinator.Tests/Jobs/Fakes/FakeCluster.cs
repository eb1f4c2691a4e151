using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>A <see cref="JobCoordinator"/> with <see cref="JobPlan.WorldSize"/> fake workers joined in rank order and welcomed.</summary>
internal sealed class FakeCluster : IAsyncDisposable
{
    private FakeCluster(JobCoordinator job, FakeWorker[] workers)
    {
        Job = job;
        Workers = workers;
    }

    public JobCoordinator Job { get; }

    /// <summary>The workers by rank.</summary>
    public IReadOnlyList<FakeWorker> Workers { get; }

    public FakeWorker this[int rank] => Workers[rank];

    /// <summary>A plan small enough for any test; <paramref name="configure"/> changes what a test is about.</summary>
    public static JobPlan Plan(int worldSize, Func<JobPlan, JobPlan>? configure = null)
    {
        var plan = new JobPlan { WorldSize = worldSize, JobId = "test-job", Config = "model=mlp; optimizer=adam; lr=0.001; zero=2", JoinTimeout = TimeSpan.FromSeconds(10), PeerTimeout = TimeSpan.FromSeconds(30) };
        return configure is null ? plan : configure(plan);
    }

    /// <summary>Every worker joins (asking for its rank) and reads its welcome; the coordinator has them all.</summary>
    public static async Task<FakeCluster> StartAsync(JobPlan plan, IJobObserver? observer = null)
    {
        var job = new JobCoordinator(plan) { Observer = observer };
        var workers = Enumerable.Range(0, plan.WorldSize).Select(rank => FakeWorker.Join(job, rank, $"worker-{rank}:7000")).ToArray();
        await job.WaitForWorkersAsync(CancellationToken.None);
        foreach (var worker in workers)
        {
            await worker.ReceiveAsync(Protocol.CoordinatorMessage.BodyOneofCase.Welcome);
        }

        return new FakeCluster(job, workers);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in Workers)
        {
            await worker.DisposeAsync();
        }
    }
}
