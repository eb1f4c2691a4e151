using Distributed.Core.Collectives;
using Distributed.Core.Telemetry;
using Distributed.Protocol;

namespace Distributed.Worker.Internal;

/// <summary>
/// A worker's side of the job's observability, as the coordinator's welcome asks for it: record this rank's spans
/// and send them up for the timeline, and report collective waits that last long enough to matter for the
/// coordinator's stall warning. Spans themselves go to whatever listens in this process (OTLP, the console).
/// </summary>
internal sealed class WorkerTelemetry : IDisposable
{
    private readonly CoordinatorSession _session;
    private readonly SpanRecorder? _recorder;

    public WorkerTelemetry(Welcome welcome, CoordinatorSession session)
    {
        _session = session;
        RankTag = welcome.Rank;
        if (welcome.SendSpans)
        {
            _recorder = new SpanRecorder(welcome.Rank);
        }

        if (welcome.WaitReportSeconds > 0 && welcome.WorldSize > 1)
        {
            Watch = new CollectiveWatch(TimeSpan.FromSeconds(welcome.WaitReportSeconds), Report);
        }
    }

    /// <summary>This rank, boxed once for span and metric tags.</summary>
    public object RankTag { get; }

    public CollectiveWatch? Watch { get; }

    /// <summary>Sends the spans finished since the last call, when the coordinator asked for them.</summary>
    public void Flush()
    {
        if (_recorder is null)
        {
            return;
        }

        var spans = _recorder.Drain();
        if (spans.Count == 0)
        {
            return;
        }

        var batch = new SpanBatch { SentUnixNanos = ClockSync.NowUnixNanos(), MinAssignmentDelayNanos = _session.Clock.MinInboundDelay };
        foreach (var s in spans)
        {
            var record = new SpanRecord
            {
                Name = s.Name,
                TraceId = s.TraceId,
                SpanId = s.SpanId,
                ParentSpanId = s.ParentSpanId,
                StartUnixNanos = s.StartUnixNanos,
                DurationNanos = s.DurationNanos,
            };
            foreach (var (key, value) in s.Attributes)
            {
                record.Attributes[key] = value;
            }

            batch.Spans.Add(record);
        }

        _session.Send(new WorkerMessage { Spans = batch });
    }

    public void Dispose()
    {
        Watch?.Dispose();
        _recorder?.Dispose();
    }

    private void Report(CollectiveWaitReport report) => _session.Send(new WorkerMessage
    {
        CollectiveWait = new CollectiveWait
        {
            Step = report.Step,
            Bucket = report.Bucket,
            Collective = report.Phase.SpanName(),
            WaitingFor = report.WaitingFor,
            WaitedSeconds = report.Waited.TotalSeconds,
            Resumed = report.Resumed,
        },
    });
}
