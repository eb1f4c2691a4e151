namespace Distributed.Coordinator.Jobs;

/// <summary>The worker processes a local job starts: how many, and the flags that give them their workload.</summary>
internal sealed record LocalWorkers(int Count, IReadOnlyList<string> WorkloadArguments, CpuPlacement Placement);

/// <summary>
/// Runs one distributed job from the coordinator's side, for every command that has one (`train --workers`,
/// `coordinator`, `bench allreduce`, `bench train --workers`): serve the coordinator, start the local workers or
/// wait for remote ones, drive the job, and end it exactly once, with an abort to every worker when it failed or
/// was stopped. A local job also stops when the process that started this one goes away.
/// </summary>
internal static class JobRunner
{
    /// <summary>How long finished local workers get to exit by themselves before they are killed.</summary>
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(10);

    public static async Task<T> RunAsync<T>(
        JobCoordinator coordinator, string host, int port, LocalWorkers? local, TextWriter output,
        Func<JobCoordinator, CancellationToken, Task<T>> drive, CancellationToken cancel, Action<int>? listening = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using var parent = local is null ? null : new ParentWatch(() =>
        {
            lock (output)
            {
                output.WriteLine("[launcher] the process that started this job has exited; stopping the job");
            }

            stop.Cancel();
        });
        await using var server = await CoordinatorHost.StartAsync(coordinator, host, port, output, stop.Token).ConfigureAwait(false);
        listening?.Invoke(server.Port);
        await using var launcher = new LocalLauncher(coordinator, output);
        if (local is not null)
        {
            launcher.StartAll(local.Count, $"127.0.0.1:{server.Port}", local.WorkloadArguments, local.Placement);
        }

        string? abort = "the coordinator failed";
        try
        {
            var result = await drive(coordinator, stop.Token).ConfigureAwait(false);
            abort = null;
            return result;
        }
        catch (JobFailedException ex)
        {
            abort = ex.Message;
            throw;
        }
        catch (OperationCanceledException)
        {
            abort = "the coordinator was stopped";
            throw;
        }
        finally
        {
            coordinator.End(abort);
            if (abort is null)
            {
                // After a failure the launcher's disposal kills what is left at once.
                await launcher.WaitForExitAsync(ExitGrace).ConfigureAwait(false);
            }
        }
    }
}
