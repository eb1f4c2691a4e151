using k8s.Models;

namespace Distributed.Kubernetes;

/// <summary>What the cluster knows about one job: its two Jobs (null where absent) and its pods.</summary>
public sealed record JobState(string Name, string Namespace, V1Job? Coordinator, V1Job? Workers, IReadOnlyList<V1Pod> Pods)
{
    /// <summary>
    /// The job's phase, decided by the coordinator, which exits 0 only when training finished on every rank:
    /// Succeeded once the coordinator's Job has completed, whatever the workers Job says (with --min-workers a worker
    /// index left behind fails it, yet the run finished on the others); Failed once either Job has failed before that;
    /// otherwise Starting (suspended or no pod running yet), Running, or NotFound.
    /// </summary>
    public string Phase
    {
        get
        {
            if (Coordinator is null && Workers is null)
            {
                return "NotFound";
            }

            if (Coordinator?.Status?.Conditions?.Any(c => c.Type == "Complete" && c.Status == "True") == true)
            {
                return "Succeeded";
            }

            if (FailedCondition(Coordinator) is not null || FailedCondition(Workers) is not null)
            {
                return "Failed";
            }

            return Pods.Any(p => p.Status?.Phase == "Running") ? "Running" : "Starting";
        }
    }

    public void Write(TextWriter output)
    {
        output.WriteLine($"job {Name} in namespace {Namespace}: {Phase}");
        foreach (var (role, job) in new[] { ("coordinator", Coordinator), ("workers", Workers) })
        {
            if (job is null)
            {
                output.WriteLine($"  {role,-11}  (no Job)");
                continue;
            }

            var status = job.Status;
            var reason = FailedCondition(job) is { } failed ? $"  failed: {failed.Reason}: {failed.Message}" : "";
            output.WriteLine($"  {role,-11}  {status?.Active ?? 0} active, {status?.Succeeded ?? 0} succeeded, {status?.Failed ?? 0} failed of {job.Spec.Completions ?? 1}{(job.Spec.Suspend == true ? " (suspended)" : "")}{reason}");
        }

        foreach (var pod in Pods)
        {
            var who = JobSubmitter.Rank(pod) is { } rank ? $"rank {rank}" : "coordinator";
            var container = pod.Status?.ContainerStatuses?.FirstOrDefault();
            var detail = container?.State?.Waiting is { } waiting ? $" ({waiting.Reason})"
                : container?.State?.Terminated is { } terminated ? $" (exit {terminated.ExitCode}{(terminated.Reason is { } r ? $", {r}" : "")})"
                : "";
            output.WriteLine($"  pod {pod.Name(),-40} {who,-12} {pod.Status?.Phase ?? "Unknown"}{detail}");
        }
    }

    private static V1JobCondition? FailedCondition(V1Job? job) =>
        job?.Status?.Conditions?.FirstOrDefault(c => c.Type == "Failed" && c.Status == "True");
}
