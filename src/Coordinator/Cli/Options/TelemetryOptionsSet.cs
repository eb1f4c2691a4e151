using System.CommandLine;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// Observability flags. None of them changes the mathematics, so none is part of the job configuration workers
/// must match; OTLP export is configured by the standard OTEL_* environment variables, not by flags.
/// </summary>
internal sealed class TelemetryOptionsSet
{
    public Option<string?> Timeline { get; } = new("--timeline") { Description = "write every rank's spans as Chrome trace-event JSON (open in Perfetto or chrome://tracing) to this file" };

    public Option<bool> TraceConsole { get; } = new("--trace-console") { Description = "also print spans and metrics to the console (OpenTelemetry console exporter)" };

    public Option<double> StallWarning { get; } = new("--stall-warning") { Description = "seconds a collective may wait before the coordinator names the ranks that have not arrived (below --peer-timeout, else half of it)", DefaultValueFactory = _ => 60.0 };

    public Option<string> Progress { get; } = new("--progress") { Description = "auto | bar | log | none: a live bar on a terminal, a plain line every 10 s otherwise", DefaultValueFactory = _ => "auto" };

    /// <summary>What a launched worker inherits from `train`.</summary>
    public IEnumerable<Option> Inherited => [TraceConsole];

    public IEnumerable<Option> ForTrain => [Timeline, TraceConsole, StallWarning, Progress];

    public IEnumerable<Option> ForCoordinator => [Timeline, TraceConsole, StallWarning, Progress];

    public IEnumerable<Option> ForWorker => [TraceConsole];

    /// <summary>The stall warning threshold: the flag, unless the peer timeout would fail the job first.</summary>
    public TimeSpan StallThreshold(ParseResult r, TimeSpan peerTimeout)
    {
        var seconds = r.GetValue(StallWarning);
        if (!(seconds > 0) || seconds > 86_400)
        {
            throw new UsageException($"--stall-warning must be between 0 and 86400 seconds, got {seconds}");
        }

        var threshold = TimeSpan.FromSeconds(seconds);
        return threshold < peerTimeout ? threshold : peerTimeout / 2;
    }

    public string ProgressMode(ParseResult r)
    {
        var mode = r.GetValue(Progress);
        return mode is "auto" or "bar" or "log" or "none" ? mode : throw new UsageException($"unknown progress mode '{mode}' (expected auto, bar, log or none)");
    }
}
