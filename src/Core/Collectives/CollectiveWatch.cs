using System.Diagnostics;

namespace Distributed.Core.Collectives;

/// <summary>A rank's wait at a collective that lasted past the report delay, or the end of such a wait.</summary>
public readonly record struct CollectiveWaitReport(long Step, int Bucket, CollectivePhase Phase, int WaitingFor, TimeSpan Waited, bool Resumed);

/// <summary>
/// Watches one rank's receives. A rank in a ring only knows that its left neighbour is late, so it does not judge:
/// it reports, once a wait passes <c>reportAfter</c>, that it has arrived at this collective and is waiting, and again
/// when that wait ends. The coordinator hears every rank and names the ones that have neither reported the step nor
/// arrived at its collective. The receive path only stamps two fields under an uncontended lock; a timer does the
/// checking, so a normal step pays nothing else.
/// </summary>
public sealed class CollectiveWatch : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeSpan _reportAfter;
    private readonly Action<CollectiveWaitReport> _report;
    private readonly Timer _timer;
    private ChunkHeader _expected;
    private int _waitingFor;
    private long _since;
    private bool _reported;

    public CollectiveWatch(TimeSpan reportAfter, Action<CollectiveWaitReport> report)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(reportAfter, TimeSpan.Zero, nameof(reportAfter));
        _reportAfter = reportAfter;
        _report = report;
        var period = TimeSpan.FromTicks(Math.Clamp(reportAfter.Ticks / 4, TimeSpan.FromMilliseconds(20).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _timer = new Timer(static w => ((CollectiveWatch)w!).Check(), this, period, period);
    }

    public void Dispose() => _timer.Dispose();

    internal void Begin(in ChunkHeader expected, int waitingFor)
    {
        lock (_gate)
        {
            _expected = expected;
            _waitingFor = waitingFor;
            _since = Stopwatch.GetTimestamp();
            _reported = false;
        }
    }

    internal void End()
    {
        CollectiveWaitReport report;
        lock (_gate)
        {
            if (!_reported)
            {
                _since = 0;
                return;
            }

            report = Report(resumed: true);
            _since = 0;
            _reported = false;
        }

        _report(report);
    }

    private void Check()
    {
        CollectiveWaitReport report;
        lock (_gate)
        {
            if (_since == 0 || _reported || Stopwatch.GetElapsedTime(_since) < _reportAfter)
            {
                return;
            }

            _reported = true;
            report = Report(resumed: false);
        }

        _report(report);
    }

    private CollectiveWaitReport Report(bool resumed) =>
        new(_expected.Step, _expected.Bucket, _expected.Phase, _waitingFor, Stopwatch.GetElapsedTime(_since), resumed);
}
