using System.Globalization;
using Distributed.Core.Compute.Cpu;

namespace Distributed.Integration.Tests;

/// <summary>
/// Under the default --cpu-bind auto, every thread of each local worker runs only on that rank's CPUs, and a job
/// that does not fit, or --cpu-bind none, leaves the workers where the scheduler puts them. A bound worker's
/// shared-memory receives spin longer before they sleep, since nothing else of the job needs its CPU.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public class CpuBindingTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    private static readonly string[] Job = ["train", "--model", "mlp", "--data", "synthetic", "--synthetic-samples", "512", "--threads", "1", "--progress", "none", "--epochs", "1000"];

    [Fact]
    public async Task EveryThreadOfEachWorkerRunsOnlyOnItsRanksCpu()
    {
        var allowed = CpuAffinity.Allowed();
        if (allowed is null || allowed.Count < 2)
        {
            return;
        }

        using var run = new ProgramRun([.. Job, "--workers", "2"]);
        await run.WaitForOutputAsync("rank 1: optimizer state", Bound);

        Assert.Contains($"bound to CPUs: rank 0 on {allowed[0]}, rank 1 on {allowed[1]}", run.Stdout);
        await run.WaitForOutputAsync("[rank 1] ring links: to rank 0 over shared memory, from rank 0 over shared memory; a receive spins 10 ms before it sleeps", Bound);
        foreach (var (rank, pid) in ProgramRun.StartedWorkers(run.Stdout))
        {
            var threads = ThreadCpuLists(pid);
            Assert.True(threads.Count > 5, $"rank {rank} has only {threads.Count} threads");
            Assert.All(threads, cpus => Assert.Equal(allowed[rank].ToString(CultureInfo.InvariantCulture), cpus));
        }
    }

    [Fact]
    public async Task NoneLeavesTheWorkersOnEveryCpuThisProcessMayUse()
    {
        var allowed = CpuAffinity.Allowed();
        if (allowed is null)
        {
            return;
        }

        using var run = new ProgramRun([.. Job, "--workers", "2", "--cpu-bind", "none"]);
        await run.WaitForOutputAsync("rank 1: optimizer state", Bound);

        Assert.Contains("not bound to CPUs (--cpu-bind none)", run.Stdout);
        await run.WaitForOutputAsync("[rank 1] ring links: to rank 0 over shared memory, from rank 0 over shared memory; a receive spins 50 µs before it sleeps", Bound);
        foreach (var (_, pid) in ProgramRun.StartedWorkers(run.Stdout))
        {
            Assert.All(ThreadCpuLists(pid), cpus => Assert.Equal(CpuAffinity.Format(allowed), cpus));
        }
    }

    [Fact]
    public async Task AnUnknownModeIsOneLineAndExitCodeTwo()
    {
        var (code, stdout, stderr) = await ProgramRun.RunAsync([.. Job, "--workers", "2", "--cpu-bind", "socket"], Bound);

        Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("unknown --cpu-bind 'socket' (expected auto or none)", stderr);
    }

    /// <summary>Each live thread's Cpus_allowed_list, as the kernel reports it.</summary>
    private static List<string> ThreadCpuLists(int pid)
    {
        var lists = new List<string>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                var line = File.ReadLines(Path.Combine(task, "status")).First(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
                lists.Add(line["Cpus_allowed_list:".Length..].Trim());
            }
            catch (IOException)
            {
                // The thread ended while it was read.
            }
        }

        return lists;
    }
}
