using Distributed.Core.Compute.Cpu;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// Where local workers run (<c>--cpu-bind</c>): under <c>auto</c>, rank r gets the r-th run of
/// threads-per-worker CPUs among those this process may use, when every rank can have its own, as Open MPI binds
/// ranks to cores by default. A job that does not fit runs unbound rather than stacking ranks on shared CPUs.
/// </summary>
internal sealed record CpuPlacement(IReadOnlyList<IReadOnlyList<int>>? PerRank, string Description)
{
    public const string Auto = "auto";
    public const string None = "none";

    public static IReadOnlyList<string> Modes { get; } = [Auto, None];

    public static CpuPlacement Unbound(string why) => new(null, $"not bound to CPUs ({why})");

    /// <summary>The placement on this machine, among the CPUs this process may use.</summary>
    public static CpuPlacement Local(string mode, int workers, int threadsPerWorker) => Plan(mode, workers, threadsPerWorker, CpuAffinity.Allowed());

    public static CpuPlacement Plan(string mode, int workers, int threadsPerWorker, IReadOnlyList<int>? allowed)
    {
        if (mode == None)
        {
            return Unbound("--cpu-bind none");
        }

        if (allowed is null)
        {
            return Unbound("this system cannot bind threads");
        }

        var needed = (long)workers * threadsPerWorker;
        if (needed > allowed.Count)
        {
            return Unbound($"{workers} workers × {threadsPerWorker} thread{(threadsPerWorker == 1 ? "" : "s")} need {needed} CPUs, this process may use {allowed.Count}");
        }

        var perRank = Enumerable.Range(0, workers)
            .Select(rank => (IReadOnlyList<int>)[.. allowed.Skip(rank * threadsPerWorker).Take(threadsPerWorker)])
            .ToList();
        return new(perRank, "bound to CPUs: " + string.Join(", ", perRank.Select((cpus, rank) => $"rank {rank} on {CpuAffinity.Format(cpus)}")));
    }
}
