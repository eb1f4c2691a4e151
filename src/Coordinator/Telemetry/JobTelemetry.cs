using System.Diagnostics;
using System.Globalization;
using System.Text;
using Distributed.Coordinator.Jobs;
using Distributed.Core.Telemetry;
using Distributed.Protocol;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// The coordinator's side of a job's observability: the stall monitor, and with `--timeline` the timeline, fed
/// by the coordinator's own spans and the batches the workers send, each shifted by that worker's estimated clock
/// offset. A single-process run (world size 0) uses it for its timeline alone.
/// </summary>
internal sealed class JobTelemetry : IJobObserver, IDisposable
{
    private static readonly string[] Columns = [Spans.Data, Spans.Forward, Spans.Backward, Spans.Optimizer];

    private readonly TimelineWriter? _timeline;
    private readonly SpanRecorder? _recorder;
    private readonly StallMonitor? _stall;
    private readonly ClockSync[] _clocks;
    private readonly double[] _waitMs;
    private readonly double[] _collectiveMs;

    /// <param name="liveness">The coordinator's record of when each rank was last heard (null for a run in this process).</param>
    public JobTelemetry(int worldSize, Liveness? liveness, string? timelinePath, TimeSpan stallThreshold, Action<string> warn)
    {
        _clocks = Enumerable.Range(0, worldSize).Select(_ => new ClockSync()).ToArray();
        _waitMs = new double[worldSize];
        _collectiveMs = new double[worldSize];
        if (worldSize > 1 && liveness is not null)
        {
            _stall = new StallMonitor(liveness, stallThreshold, warn);
            WaitReport = StallMonitor.ReportDelay(stallThreshold);
        }

        if (timelinePath is not null)
        {
            _timeline = new TimelineWriter(timelinePath);
            _recorder = new SpanRecorder(null);
            _timeline.DescribeProcess(0, worldSize == 0 ? "trainer" : "coordinator");
            for (var r = 0; r < worldSize; r++)
            {
                _timeline.DescribeProcess(TimelineWriter.ProcessOf(r), $"rank {r}");
            }
        }
    }

    /// <summary>Whether workers must send their spans (a timeline is being written).</summary>
    public bool SendSpans => _timeline is not null;

    /// <summary>How long a worker's collective wait lasts before it reports it (zero: no stall monitoring).</summary>
    public TimeSpan WaitReport { get; }

    /// <summary>The job restarted with <paramref name="worldSize"/> ranks (fewer when some did not come back): the stall monitor starts over.</summary>
    public void Restarted(int worldSize) => _stall?.Restart(worldSize);

    public bool Observe(int rank, WorkerMessage message)
    {
        switch (message.BodyCase)
        {
            case WorkerMessage.BodyOneofCase.Heartbeat:
                return true;
            case WorkerMessage.BodyOneofCase.StepDone:
                _stall?.StepDone(rank, message.StepDone.Step);
                return false;
            case WorkerMessage.BodyOneofCase.CollectiveWait:
                _stall?.Waiting(rank, message.CollectiveWait, Stopwatch.GetTimestamp());
                return true;
            case WorkerMessage.BodyOneofCase.Spans:
                OnSpans(rank, message.Spans);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Moves the coordinator's finished spans into the timeline (each epoch and at the end).</summary>
    public void Flush()
    {
        if (_timeline is not null && _recorder is not null)
        {
            _timeline.Add(0, _recorder.Drain(), 0);
        }
    }

    /// <summary>Mean milliseconds per step of each phase on each process, from the timeline; null without one.</summary>
    public string? Breakdown()
    {
        if (_timeline is null)
        {
            return null;
        }

        var totals = _timeline.Totals;
        var processes = totals.Keys.Select(k => k.Process).Distinct().Order().ToArray();
        var columns = Columns.Where(c => totals.Keys.Any(k => k.Name == c)).ToArray();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"where the time goes (mean ms per step, from {_timeline.FilePath}; collectives overlap backward):\n{"",-12}{"step",9}");
        foreach (var c in columns)
        {
            text.Append(CultureInfo.InvariantCulture, $"{c,11}");
        }

        text.Append(_waitMs.Length > 0 ? $"{"collectives",12}{"(waiting)",11}\n" : "\n");
        foreach (var p in processes)
        {
            if (!totals.TryGetValue((p, Spans.Step), out var step) || step.Count == 0)
            {
                continue;
            }

            text.Append(CultureInfo.InvariantCulture, $"{(p == 0 ? (_waitMs.Length == 0 ? "trainer" : "coordinator") : $"rank {p - 1}"),-12}{step.Milliseconds / step.Count,9:0.000}");
            foreach (var c in columns)
            {
                text.Append(totals.TryGetValue((p, c), out var t) ? string.Create(CultureInfo.InvariantCulture, $"{t.Milliseconds / step.Count,11:0.000}") : $"{"",11}");
            }

            text.Append(p > 0 ? string.Create(CultureInfo.InvariantCulture, $"{_collectiveMs[p - 1] / step.Count,12:0.000}{_waitMs[p - 1] / step.Count,11:0.000}\n") : "\n");
        }

        return string.Join('\n', text.ToString().TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()));
    }

    public void Dispose()
    {
        _stall?.Dispose();
        Flush();
        _recorder?.Dispose();
        _timeline?.Dispose();
    }

    private void OnSpans(int rank, SpanBatch batch)
    {
        if (_timeline is null || rank >= _clocks.Length)
        {
            return;
        }

        var clock = _clocks[rank];
        clock.Inbound(batch.SentUnixNanos, ClockSync.NowUnixNanos());
        if (batch.MinAssignmentDelayNanos != long.MaxValue)
        {
            clock.Outbound(batch.MinAssignmentDelayNanos);
        }

        var spans = new List<SpanSummary>(batch.Spans.Count);
        var allReduces = batch.Spans.Where(s => s.Name == Spans.AllReduce).Select(s => s.SpanId).ToHashSet();
        double collectiveMs = 0, waitMs = 0;
        foreach (var s in batch.Spans)
        {
            spans.Add(new SpanSummary(s.Name, s.TraceId, s.SpanId, s.ParentSpanId, s.StartUnixNanos, s.DurationNanos, s.Attributes.ToList()));
            var collective = s.Name is Spans.ReduceScatter or Spans.AllGather;

            // Time in collectives: all-reduces, and reduce-scatters / all-gathers that are not part of one.
            if (s.Name == Spans.AllReduce || (collective && !allReduces.Contains(s.ParentSpanId)))
            {
                collectiveMs += s.DurationNanos / 1e6;
            }

            // A small all-reduce (the exchange) is one span and carries its own wait; a ring's waits are on its halves.
            if ((collective || s.Name == Spans.AllReduce) && s.Attributes.TryGetValue(SpanTags.WaitMs, out var wait) && double.TryParse(wait, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
            {
                waitMs += ms;
            }
        }

        lock (_waitMs)
        {
            _waitMs[rank] += waitMs;
            _collectiveMs[rank] += collectiveMs;
        }

        _timeline.Add(TimelineWriter.ProcessOf(rank), spans, clock.OffsetNanos);
        Flush();
    }
}
