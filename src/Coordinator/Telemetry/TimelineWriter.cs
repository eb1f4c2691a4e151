using System.Text.Json;
using Distributed.Core.Telemetry;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// `--timeline FILE`: spans of every participant as Chrome trace-event JSON (the array form, which Perfetto and
/// chrome://tracing open with no server), one process row per participant, all on the coordinator's time axis.
/// Events are streamed as they arrive, so a job that dies still leaves a readable file (the closing bracket is
/// optional in that format). Complete ("X") events must nest within one thread row, but a rank's collectives
/// overlap its backward pass and the coordinator keeps two steps in flight; each span therefore goes to the first
/// lane of its process where it nests, and lanes become thread rows.
/// </summary>
internal sealed class TimelineWriter : IDisposable
{
    private readonly object _gate = new();
    private readonly FileStream _file;
    private readonly Utf8JsonWriter _json;
    private readonly long _originUnixNanos;
    private readonly Dictionary<int, List<Stack<long>>> _lanes = [];
    private readonly HashSet<(int Process, int Lane)> _namedLanes = [];
    private readonly Dictionary<(int Process, string Name), (double Milliseconds, int Count)> _totals = [];
    private bool _closed;

    public TimelineWriter(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        FilePath = path;
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        _json = new Utf8JsonWriter(_file);
        _originUnixNanos = ClockSync.NowUnixNanos();
        _json.WriteStartArray();
    }

    public string FilePath { get; }

    /// <summary>Process ids: 0 for the coordinator (or a single-process run), rank + 1 for a worker.</summary>
    public static int ProcessOf(int? rank) => rank is { } r ? r + 1 : 0;

    /// <summary>Total milliseconds and count of each span name per process, for the "where the time goes" summary.</summary>
    public IReadOnlyDictionary<(int Process, string Name), (double Milliseconds, int Count)> Totals
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<(int, string), (double, int)>(_totals);
            }
        }
    }

    public void DescribeProcess(int process, string name)
    {
        lock (_gate)
        {
            Metadata("process_name", process, null, "name", name);
            Metadata("process_sort_index", process, null, "sort_index", process);
        }
    }

    /// <summary>Writes spans recorded by one process; <paramref name="offsetNanos"/> is its clock minus the coordinator's.</summary>
    public void Add(int process, IReadOnlyList<SpanSummary> spans, long offsetNanos)
    {
        var ordered = spans.OrderBy(s => s.StartUnixNanos).ThenByDescending(s => s.DurationNanos).ToArray();
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            foreach (var span in ordered)
            {
                var start = span.StartUnixNanos - offsetNanos - _originUnixNanos;
                var lane = Place(process, start, start + span.DurationNanos);
                if (_namedLanes.Add((process, lane)))
                {
                    Metadata("thread_name", process, lane, "name", lane == 0 ? "spans" : $"overlapping spans {lane}");
                }

                Event(span, process, lane, start);
                var key = (process, span.Name);
                var (ms, count) = _totals.GetValueOrDefault(key);
                _totals[key] = (ms + (span.DurationNanos / 1e6), count + 1);
            }

            _json.Flush();
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _json.WriteEndArray();
            _json.Flush();
            _json.Dispose();
            _file.Dispose();
        }
    }

    /// <summary>The first lane where [start, end) nests inside or after what the lane holds.</summary>
    private int Place(int process, long start, long end)
    {
        if (!_lanes.TryGetValue(process, out var lanes))
        {
            _lanes[process] = lanes = [];
        }

        for (var i = 0; ; i++)
        {
            if (i == lanes.Count)
            {
                lanes.Add(new Stack<long>());
            }

            var open = lanes[i];
            while (open.Count > 0 && open.Peek() <= start)
            {
                open.Pop();
            }

            if (open.Count == 0 || open.Peek() >= end)
            {
                open.Push(end);
                return i;
            }
        }
    }

    private void Event(SpanSummary span, int process, int lane, long startNanos)
    {
        _json.WriteStartObject();
        _json.WriteString("name", span.Name);
        _json.WriteString("cat", process == 0 ? "coordinator" : "rank");
        _json.WriteString("ph", "X");
        _json.WriteNumber("ts", Math.Round(startNanos / 1e3, 3));
        _json.WriteNumber("dur", Math.Round(span.DurationNanos / 1e3, 3));
        _json.WriteNumber("pid", process);
        _json.WriteNumber("tid", lane);
        _json.WriteStartObject("args");
        foreach (var (key, value) in span.Attributes)
        {
            _json.WriteString(key, value);
        }

        _json.WriteString("trace_id", span.TraceId);
        _json.WriteString("span_id", span.SpanId);
        if (span.ParentSpanId.Length > 0)
        {
            _json.WriteString("parent_span_id", span.ParentSpanId);
        }

        _json.WriteEndObject();
        _json.WriteEndObject();
    }

    private void Metadata(string name, int process, int? lane, string key, object value)
    {
        _json.WriteStartObject();
        _json.WriteString("name", name);
        _json.WriteString("ph", "M");
        _json.WriteNumber("pid", process);
        if (lane is { } tid)
        {
            _json.WriteNumber("tid", tid);
        }

        _json.WriteStartObject("args");
        if (value is int number)
        {
            _json.WriteNumber(key, number);
        }
        else
        {
            _json.WriteString(key, value.ToString());
        }

        _json.WriteEndObject();
        _json.WriteEndObject();
    }
}
