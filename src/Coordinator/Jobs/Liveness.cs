using System.Diagnostics;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// When the coordinator last heard from each rank: the one record that the failure diagnosis, the peer timeout and
/// the stall monitor all read. Workers heartbeat every second from a task of their own, whatever they compute or
/// wait for, so a stopped worker is told from a busy one by its silence, not by its progress.
/// </summary>
internal sealed class Liveness(int worldSize)
{
    /// <summary>A live rank is never silent for two heartbeats; a frozen or cut-off one is.</summary>
    public static readonly TimeSpan StoppedAfter = TimeSpan.FromSeconds(2);

    private readonly long[] _lastHeard = new long[worldSize];

    public int WorldSize => _lastHeard.Length;

    /// <summary>Rank <paramref name="rank"/> said something (a heartbeat counts), at a <see cref="Stopwatch"/> timestamp.</summary>
    public void Heard(int rank, long at) => Interlocked.Exchange(ref _lastHeard[rank], at);

    public void Heard(int rank) => Heard(rank, Stopwatch.GetTimestamp());

    /// <summary>How long rank <paramref name="rank"/> has been silent at <paramref name="now"/>; zero for a rank never heard (it has not joined).</summary>
    public TimeSpan SilentFor(int rank, long now)
    {
        var heard = Interlocked.Read(ref _lastHeard[rank]);
        return heard == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(heard, now);
    }

    public TimeSpan SilentFor(int rank) => SilentFor(rank, Stopwatch.GetTimestamp());

    /// <summary>The silence rule: longer than a live rank can be silent means stopped (frozen, cut off or gone).</summary>
    public static bool Stopped(TimeSpan silence) => silence > StoppedAfter;
}
