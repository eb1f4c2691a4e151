using Distributed.Coordinator.Jobs;
using Distributed.Worker;

namespace Distributed.Integration.Tests;

/// <summary>
/// A <see cref="JobCoordinator"/> behind its real gRPC host on 127.0.0.1 (a port the system picks) and N
/// <see cref="WorkerRuntime"/>s, all in this process and talking real gRPC: the protocol end to end in about a
/// second, with the coordinator's objects in reach of the test. <see cref="InProcessJob"/> runs the same through
/// the command line instead. The test drives the job (a <see cref="TrainingDriver"/>) and ends it.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private readonly CoordinatorHost _host;
    private readonly StringWriter _log = new();

    private InProcessCluster(JobCoordinator job, CoordinatorHost host, Func<WorkerSettings, TextWriter, WorkerRuntime> worker)
    {
        Job = job;
        _host = host;
        var log = TextWriter.Synchronized(_log);
        Workers = [.. Enumerable.Range(0, job.Plan.WorldSize).Select(rank =>
        {
            var settings = new WorkerSettings { CoordinatorAddress = $"127.0.0.1:{host.Port}", JobId = job.Plan.JobId, Secret = job.Plan.Secret, Config = job.Plan.Config, RequestedRank = rank, JoinTimeout = JoinTimeout, PeerTimeout = job.Plan.PeerTimeout };
            return Task.Run(() => worker(settings, log).RunAsync(_stop.Token));
        })];
    }

    public JobCoordinator Job { get; }

    /// <summary>Each worker's run, by rank; it ends when the job finishes or fails.</summary>
    public IReadOnlyList<Task> Workers { get; }

    /// <summary>What the workers logged.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the host and the workers; <paramref name="worker"/> builds rank r's runtime from its settings.</summary>
    public static async Task<InProcessCluster> StartAsync(JobPlan plan, Func<WorkerSettings, TextWriter, WorkerRuntime> worker)
    {
        var job = new JobCoordinator(plan with { JoinTimeout = JoinTimeout });
        var host = await CoordinatorHost.StartAsync(job, "127.0.0.1", 0, TextWriter.Null, CancellationToken.None);
        return new InProcessCluster(job, host, worker);
    }

    public async ValueTask DisposeAsync()
    {
        // Whatever the test did: the sessions may close, the workers stop, the host goes.
        Job.End(null);
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(Workers).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception ex) when (ex is WorkerException or OperationCanceledException or TimeoutException)
        {
            // A test that fails a job expects its workers to fail; it has already judged them.
        }

        await _host.DisposeAsync();
        _stop.Dispose();
    }
}
