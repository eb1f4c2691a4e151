using System.Diagnostics;
using System.Globalization;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Collectives;
using Distributed.Protocol;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// Names the ranks that hold a stalled step up. Inside the ring a waiting rank only knows that its left neighbour
/// is late, and that neighbour may itself be waiting on its own left one, so no rank can name the culprit. The
/// coordinator can: every rank reports each step it finishes, and a rank whose collective has waited past a short
/// report delay says so (and says again when the wait ends). Once some rank has waited past the threshold, the
/// ranks that have neither finished the oldest unfinished step nor reported waiting at one of its collectives have
/// not arrived: they are still computing, frozen, or cut off. A rank that reported a wait and then fell silent (no
/// heartbeat for <see cref="Liveness.StoppedAfter"/>) froze inside that wait: it has not arrived either, whatever its
/// report says. When every unfinished rank seems to wait, which live ranks in a ring cannot, the warning holds back
/// until such a frozen rank would have shown its silence. One warning per stalled step and threshold period.
/// </summary>
internal sealed class StallMonitor : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeSpan _threshold;
    private readonly Action<string> _warn;
    private long[] _done;
    private (CollectiveWait Wait, long HeardAt)?[] _waits;
    private readonly Timer? _timer;
    private long _warnedStep = -1;
    private double _warnedAtSeconds;

    private readonly Liveness _liveness;

    public StallMonitor(Liveness liveness, TimeSpan threshold, Action<string> warn, bool startTimer = true)
    {
        _liveness = liveness;
        _threshold = threshold;
        _warn = warn;
        _done = new long[liveness.WorldSize];
        _waits = new (CollectiveWait, long)?[liveness.WorldSize];
        if (startTimer)
        {
            var period = TimeSpan.FromTicks(Math.Clamp(threshold.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
            _timer = new Timer(static m => ((StallMonitor)m!).Tick(), this, period, period);
        }
    }

    /// <summary>How long after it starts a rank reports a collective wait: short, so arrivals are known well before the threshold.</summary>
    public static TimeSpan ReportDelay(TimeSpan threshold) => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(1).Ticks, threshold.Ticks / 2));

    /// <summary>
    /// The job restarted from a checkpoint with <paramref name="worldSize"/> ranks: the steps done before are done
    /// again, and ranks beyond the new world (it shrank) are gone, so nothing heard before counts.
    /// </summary>
    public void Restart(int worldSize)
    {
        lock (_gate)
        {
            _done = new long[worldSize];
            _waits = new (CollectiveWait, long)?[worldSize];
            _warnedStep = -1;
            _warnedAtSeconds = 0;
        }
    }

    public void StepDone(int rank, long step)
    {
        lock (_gate)
        {
            _done[rank] = Math.Max(_done[rank], step);
            if (_waits[rank] is { } w && w.Wait.Step <= step)
            {
                _waits[rank] = null;
            }
        }
    }

    public void Waiting(int rank, CollectiveWait wait, long heardAt)
    {
        lock (_gate)
        {
            _waits[rank] = wait.Resumed ? null : (wait, heardAt);

            // A rank runs its steps in order, so one waiting in step s has finished every step before it, even if
            // the report of those steps is still on its way (reports travel in batches).
            _done[rank] = Math.Max(_done[rank], wait.Step - 1);
        }
    }

    /// <summary>The warning due now, if any (the timer logs it; tests call this directly with a clock of their own).</summary>
    public string? Check(long now)
    {
        lock (_gate)
        {
            var waited = new double[_done.Length];
            var longest = 0.0;
            for (var r = 0; r < _waits.Length; r++)
            {
                if (_waits[r] is { } w)
                {
                    waited[r] = w.Wait.WaitedSeconds + ((now - w.HeardAt) / (double)Stopwatch.Frequency);
                    longest = Math.Max(longest, waited[r]);
                }
            }

            if (longest < _threshold.TotalSeconds)
            {
                return null;
            }

            // The step the waiting ranks are stuck in; the oldest unfinished one when nobody waits inside a later one.
            var step = Math.Max(_done.Min() + 1, _waits.Where(w => w is not null).Min(w => w!.Value.Wait.Step));
            if (step == _warnedStep && longest < _warnedAtSeconds + _threshold.TotalSeconds)
            {
                return null;
            }

            var silence = Enumerable.Range(0, _done.Length).Select(r => _done[r] < step ? _liveness.SilentFor(r, now) : TimeSpan.Zero).ToArray();
            var silent = silence.Select(s => s.TotalSeconds).ToArray();
            var missing = Enumerable.Range(0, _done.Length).Where(r => _done[r] < step && (_waits[r]?.Wait.Step != step || Liveness.Stopped(silence[r]))).ToArray();
            if (missing.Length == 0 && longest < _threshold.TotalSeconds + Liveness.StoppedAfter.TotalSeconds)
            {
                // Every rank seems to wait: either a link is down, or a rank froze inside a wait it reported and its
                // silence does not show yet. Hold the warning until it would.
                return null;
            }

            _warnedStep = step;
            _warnedAtSeconds = longest;
            var waiting = Enumerable.Range(0, _done.Length).Where(r => _waits[r] is not null && !Liveness.Stopped(silence[r])).ToArray();
            var waits = string.Join("; ", waiting.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"rank {r} {waited[r]:0.#} s at step {_waits[r]!.Value.Wait.Step} {Describe(_waits[r]!.Value.Wait)} for rank {_waits[r]!.Value.Wait.WaitingFor}")));
            var quiet = string.Join(", ", missing.Where(r => Liveness.Stopped(silence[r])).Select(r => string.Create(CultureInfo.InvariantCulture, $"rank {r} for {silent[r]:0.#} s")));
            return missing.Length > 0
                ? $"warning: step {step} is stalled: {Ranks(missing)} {(missing.Length == 1 ? "has" : "have")} not arrived at its collectives (waiting: {waits}){(quiet.Length > 0 ? $"; silent: {quiet}" : "")}"
                : $"warning: step {step} is stalled, yet every unfinished rank is waiting at its collectives ({waits}): a ring link, not a rank, is holding it up";
        }
    }

    public void Dispose() => _timer?.Dispose();

    private static string Ranks(int[] ranks) => ranks.Length == 1 ? $"rank {ranks[0]}" : $"ranks {string.Join(", ", ranks)}";

    private static string Describe(CollectiveWait w) => new CollectiveTag(w.Step, w.Bucket).Describe(w.Collective);

    private void Tick()
    {
        if (Check(Stopwatch.GetTimestamp()) is { } warning)
        {
            _warn(warning);
        }
    }
}
