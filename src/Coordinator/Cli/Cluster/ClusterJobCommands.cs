using System.CommandLine;
using Distributed.Kubernetes;

namespace Distributed.Coordinator.Cli;

/// <summary>`status`, `logs` and `delete`: a job on the cluster, by the name it was submitted (or applied) with.</summary>
internal static class ClusterJobCommands
{
    /// <summary>How long `logs --follow` waits for a pod that is not running yet.</summary>
    private static readonly TimeSpan StartWait = TimeSpan.FromMinutes(10);

    public static Command Status(TextWriter output)
    {
        var c = new ClusterOptionsSet();
        var name = JobName();
        var command = new Command("status", "Show a job on Kubernetes: its phase, both Jobs' pod counts and every pod.") { name };
        command.WithOptions(c.All);
        command.SetAction(async (r, cancel) =>
        {
            using var cluster = c.Open(r);
            var state = await new JobSubmitter(cluster).ReadAsync(r.GetValue(name)!, cancel);
            if (state.Phase == "NotFound")
            {
                throw new ClusterException($"no job '{state.Name}' in namespace '{state.Namespace}'");
            }

            state.Write(output);
            return CliApp.Ok;
        });
        return command;
    }

    public static Command Logs(TextWriter output)
    {
        var c = new ClusterOptionsSet();
        var name = JobName();
        var rank = new Option<int?>("--rank") { Description = "a worker's log (default: the coordinator's, which reports the whole job)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "wait for the pod to start, then stream its log until it exits" };
        var command = new Command("logs", "Print the log of a job's coordinator, or of one worker with --rank.") { name, rank, follow };
        command.WithOptions(c.All);
        command.SetAction(async (r, cancel) =>
        {
            using var cluster = c.Open(r);
            var submitter = new JobSubmitter(cluster);
            var job = r.GetValue(name)!;
            var who = r.GetValue(rank) is { } n ? $"rank {n}" : "coordinator";
            var deadline = DateTime.UtcNow + (r.GetValue(follow) ? StartWait : TimeSpan.Zero);
            while (true)
            {
                var pod = await submitter.FindPodAsync(job, r.GetValue(rank), cancel);
                var started = pod?.Status?.Phase is "Running" or "Succeeded" or "Failed";
                if (pod is not null && started)
                {
                    await submitter.CopyLogAsync(pod, r.GetValue(follow), output, cancel);
                    return CliApp.Ok;
                }

                if (DateTime.UtcNow >= deadline)
                {
                    throw new ClusterException(pod is null
                        ? $"job '{job}' has no {who} pod in namespace '{cluster.Namespace}'"
                        : $"the {who} pod {pod.Metadata.Name} has not started ({pod.Status?.Phase ?? "Unknown"}); `status {job}` says why");
                }

                await Task.Delay(TimeSpan.FromSeconds(2), cancel);
            }
        });
        return command;
    }

    public static Command Delete(TextWriter output)
    {
        var c = new ClusterOptionsSet();
        var name = JobName();
        var command = new Command("delete", "Delete a job from Kubernetes: both Jobs, their pods, the Services and the ConfigMap.") { name };
        command.WithOptions(c.All);
        command.SetAction(async (r, cancel) =>
        {
            using var cluster = c.Open(r);
            var deleted = await new JobSubmitter(cluster).DeleteAsync(r.GetValue(name)!, cancel);
            if (deleted.Count == 0)
            {
                throw new ClusterException($"no job '{r.GetValue(name)}' in namespace '{cluster.Namespace}'");
            }

            foreach (var what in deleted)
            {
                output.WriteLine($"{what} deleted");
            }

            return CliApp.Ok;
        });
        return command;
    }

    private static Argument<string> JobName() => new("name") { Description = "the job's name (`submit --name`; 'distributed' for deploy/k8s)" };
}
