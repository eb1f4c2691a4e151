namespace Distributed.Coordinator.Jobs;

/// <summary>What a driver is waiting for, passed with each wait so a failure can say it: "rank 1 … at step 12 while the coordinator awaited every rank's report of step 12".</summary>
internal readonly record struct Awaited(long Step, string What)
{
    public static Awaited Join => new(0, "the workers to join");

    public static Awaited Ready => new(0, "every rank's ready report");

    public override string ToString() => $"at step {Step} while the coordinator awaited {What}";
}
