using System.Diagnostics;
using System.Globalization;
using System.Text;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// Progress within an epoch: step, loss, samples/s over the last steps and the epoch's ETA. On a terminal a live
/// bar on the last line, which every other line of output (the ranks' included) is written above, through
/// <see cref="Output"/>; elsewhere (CI, Kubernetes logs) a plain line every <c>interval</c>, so logs stay readable.
/// </summary>
internal sealed class TrainingProgress : IDisposable
{
    private const int Window = 20;
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _output;
    private readonly BarWriter? _bar;
    private readonly bool _log;
    private readonly int _epochs;
    private readonly int _stepsPerEpoch;
    private readonly TimeSpan _interval;
    private readonly Func<long> _clock;
    private readonly Queue<(int Samples, double Seconds)> _recent = new();
    private long _lastShown;
    private int _windowSamples;
    private double _windowSeconds;

    public TrainingProgress(TextWriter output, string mode, int epochs, int stepsPerEpoch, TimeSpan? interval = null, Func<long>? clock = null)
    {
        _output = output;
        _epochs = epochs;
        _stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        _interval = interval ?? TimeSpan.FromSeconds(10);
        _clock = clock ?? Stopwatch.GetTimestamp;
        _lastShown = _clock();
        if (mode == "auto")
        {
            mode = IsTerminal(output) ? "bar" : "log";
        }

        _log = mode == "log";
        if (mode == "bar")
        {
            _bar = new BarWriter(output);
        }
    }

    /// <summary>Where every other line of output goes, so it lands above the bar rather than through it.</summary>
    public TextWriter Output => _bar ?? _output;

    public static bool IsTerminal(TextWriter output) =>
        ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not (null or "dumb");

    public void Step(StepMetrics s)
    {
        if (_bar is null && !_log)
        {
            return;
        }

        _recent.Enqueue((s.BatchSize, s.Seconds));
        _windowSamples += s.BatchSize;
        _windowSeconds += s.Seconds;
        if (_recent.Count > Window)
        {
            var (samples, seconds) = _recent.Dequeue();
            _windowSamples -= samples;
            _windowSeconds -= seconds;
        }

        var now = _clock();
        var since = TimeSpan.FromSeconds((now - _lastShown) / (double)Stopwatch.Frequency);
        var inEpoch = (int)(s.Step - ((long)(s.Epoch - 1) * _stepsPerEpoch));
        var last = inEpoch >= _stepsPerEpoch;
        if (_bar is not null && (since >= RedrawEvery || last))
        {
            _lastShown = now;
            _bar.Show(Line(s, inEpoch, bar: true));
        }
        else if (_log && since >= _interval && !last)
        {
            _lastShown = now;
            lock (_output)
            {
                _output.WriteLine(Line(s, inEpoch, bar: false));
            }
        }
    }

    /// <summary>The epoch's own line replaces the bar.</summary>
    public void EpochDone() => _bar?.Show("");

    public void Dispose() => _bar?.Show("");

    internal string Line(StepMetrics s, int inEpoch, bool bar)
    {
        var rate = _windowSeconds > 0 ? _windowSamples / _windowSeconds : 0;
        var perStep = _recent.Count > 0 ? _windowSeconds / _recent.Count : 0;
        var eta = TimeSpan.FromSeconds(Math.Max(0, _stepsPerEpoch - inEpoch) * perStep);
        var etaText = eta.TotalHours >= 1 ? eta.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : eta.ToString(@"m\:ss", CultureInfo.InvariantCulture);
        var counts = $"{inEpoch}/{_stepsPerEpoch}";
        var figures = string.Create(CultureInfo.InvariantCulture, $"loss {s.Loss:F4}  {rate:N0} samples/s  ETA {etaText}");
        if (!bar)
        {
            return $"epoch {s.Epoch}/{_epochs}  step {counts}  {figures}";
        }

        const int width = 24;
        var filled = (int)Math.Round(width * Math.Clamp(inEpoch / (double)_stepsPerEpoch, 0, 1));
        return $"epoch {s.Epoch}/{_epochs} {new string('█', filled)}{new string('░', width - filled)} {counts}  {figures}";
    }

    /// <summary>Keeps a bar on the terminal's last line: each complete line written clears it, goes above it, and redraws it.</summary>
    private sealed class BarWriter(TextWriter inner) : TextWriter
    {
        private const string ClearLine = "\r\u001b[2K";
        private readonly StringBuilder _line = new();
        private string _bar = "";

        public override Encoding Encoding => inner.Encoding;

        public override void Write(char value)
        {
            lock (this)
            {
                if (value == '\n')
                {
                    inner.Write(ClearLine);
                    inner.Write(_line.ToString());
                    inner.Write('\n');
                    _line.Clear();
                    inner.Write(Fit(_bar));
                    inner.Flush();
                }
                else if (value != '\r')
                {
                    _line.Append(value);
                }
            }
        }

        public override void Write(string? value)
        {
            lock (this)
            {
                foreach (var c in value ?? "")
                {
                    Write(c);
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (this)
            {
                Write(value);
                Write('\n');
            }
        }

        public void Show(string bar)
        {
            lock (this)
            {
                _bar = bar;
                inner.Write(ClearLine);
                inner.Write(Fit(bar));
                inner.Flush();
            }
        }

        private static string Fit(string bar)
        {
            int width;
            try
            {
                width = Console.WindowWidth;
            }
            catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or InvalidOperationException)
            {
                width = 120;
            }

            return width > 1 && bar.Length >= width ? bar[..(width - 1)] : bar;
        }
    }
}
