using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// The restart flags checked against the job's world size, which <see cref="JobSetup"/> does not know: the one
/// place that decides whether `--min-workers` and `--rejoin-timeout` mean something for a job.
/// </summary>
internal static class RecoveryFlags
{
    private static readonly TrainSettings Defaults = new();

    /// <summary>
    /// How the ranks of a job of <paramref name="workers"/> rejoin after a restart; a flag that would do nothing is
    /// refused. No --checkpoint-dir is required: as with --max-restarts alone, the ranks then start over, and fewer
    /// of them start over just as well.
    /// </summary>
    public static RejoinPolicy Rejoin(TrainSettings s, int workers)
    {
        var min = s.MinWorkers ?? workers;
        if (min < 1 || min > workers)
        {
            throw new UsageException($"--min-workers must be between 1 and the job's {workers} workers, got {min}");
        }

        var timeout = Limits.Seconds(s.RejoinTimeoutSeconds, "--rejoin-timeout");
        var timeoutGiven = s.RejoinTimeoutSeconds != Defaults.RejoinTimeoutSeconds;
        if (s.MaxRestarts == 0 && (s.MinWorkers is not null || timeoutGiven))
        {
            throw new UsageException("--min-workers and --rejoin-timeout say how ranks come back after a restart; add --max-restarts R");
        }

        if (min == workers && timeoutGiven)
        {
            // Every rank must come back, so nobody is ever left behind after the quorum: only --join-timeout applies.
            throw new UsageException($"--rejoin-timeout is how long ranks beyond --min-workers have to come back after a restart; with every rank required ({workers}), a restart waits --join-timeout for them all");
        }

        return new RejoinPolicy(min, timeout, workers);
    }

    /// <summary>A run in this process has no workers to restart.</summary>
    public static void CheckSingleProcess(TrainSettings s)
    {
        if (s.MaxRestarts != 0)
        {
            throw new UsageException("--max-restarts restarts the worker processes of a distributed job; add --workers N");
        }

        if (s.MinWorkers is not null || s.RejoinTimeoutSeconds != Defaults.RejoinTimeoutSeconds)
        {
            throw new UsageException("--min-workers and --rejoin-timeout shape the restarts of a distributed job; add --workers N");
        }
    }
}
