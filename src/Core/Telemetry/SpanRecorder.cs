using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Distributed.Core.Telemetry;

/// <summary>A finished span reduced to what a timeline needs: times in Unix nanoseconds and attributes as text.</summary>
public sealed record SpanSummary(
    string Name,
    string TraceId,
    string SpanId,
    string ParentSpanId,
    long StartUnixNanos,
    long DurationNanos,
    IReadOnlyList<KeyValuePair<string, string>> Attributes)
{
    public long EndUnixNanos => StartUnixNanos + DurationNanos;

    public string? Attribute(string key)
    {
        foreach (var (k, v) in Attributes)
        {
            if (k == key)
            {
                return v;
            }
        }

        return null;
    }
}

/// <summary>
/// Listens to <see cref="Spans.Source"/> and keeps the finished spans of one participant, told apart by their
/// rank tag (null: the coordinator's, or a single-process run's). Several participants share one process in the
/// in-process tests, so each keeps only its own. Only exists while a timeline is wanted.
/// </summary>
public sealed class SpanRecorder : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<SpanSummary> _finished = new();
    private readonly object? _rank;

    public SpanRecorder(int? rank)
    {
        _rank = rank;
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == Spans.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = OnStopped,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Takes the spans finished since the last call.</summary>
    public List<SpanSummary> Drain()
    {
        var spans = new List<SpanSummary>(_finished.Count);
        while (_finished.TryDequeue(out var span))
        {
            spans.Add(span);
        }

        return spans;
    }

    public void Dispose() => _listener.Dispose();

    public static long UnixNanos(DateTime utc) => (utc.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public static SpanSummary Summarize(Activity activity)
    {
        var attributes = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in activity.TagObjects)
        {
            attributes.Add(new(key, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""));
        }

        return new SpanSummary(
            activity.OperationName,
            activity.TraceId.ToHexString(),
            activity.SpanId.ToHexString(),
            activity.ParentSpanId == default ? "" : activity.ParentSpanId.ToHexString(),
            UnixNanos(activity.StartTimeUtc),
            activity.Duration.Ticks * 100,
            attributes);
    }

    private void OnStopped(Activity activity)
    {
        if (Equals(activity.GetTagItem(SpanTags.Rank), _rank))
        {
            _finished.Enqueue(Summarize(activity));
        }
    }
}
