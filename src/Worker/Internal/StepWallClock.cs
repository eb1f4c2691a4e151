using System.Diagnostics;

namespace Distributed.Worker.Internal;

/// <summary>
/// Each step's wall time on this rank, for its report (<c>StepDone.wall_seconds</c>). The coordinator hears a whole
/// window of steps at once, so only the rank can say how long each step took. A step counts from the end of
/// whatever this rank did before it, so all that runs between two steps (the report, the next window, waiting for
/// it) is in the step; only an evaluation between epochs is set aside, and the first step of the process counts
/// from its window's arrival.
/// </summary>
internal sealed class StepWallClock
{
    private long _previousEnd;

    /// <summary>Ends a step whose window arrived at <paramref name="arrived"/> (a <see cref="Stopwatch"/> timestamp): its seconds.</summary>
    public double EndStep(long arrived) => EndStep(arrived, Stopwatch.GetTimestamp());

    public double EndStep(long arrived, long now)
    {
        var from = _previousEnd != 0 ? _previousEnd : arrived;
        _previousEnd = now;
        return Stopwatch.GetElapsedTime(from, now).TotalSeconds;
    }

    /// <summary>The time until now belongs to no step (an evaluation ended).</summary>
    public void SetAside() => SetAside(Stopwatch.GetTimestamp());

    public void SetAside(long now) => _previousEnd = now;
}
