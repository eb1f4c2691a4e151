using Distributed.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Distributed.Coordinator.Telemetry;

/// <summary>
/// This process's OpenTelemetry SDK: spans and metrics of <see cref="Spans.SourceName"/> exported over OTLP when
/// the standard OTEL_EXPORTER_OTLP_ENDPOINT (or its _TRACES_ / _METRICS_ variant) is set (the exporter reads the
/// other OTEL_* variables itself: protocol, headers, timeout), and to the console with --trace-console. Nothing
/// is built otherwise, so an unobserved run has no listener and its spans cost nothing. Disposing flushes.
/// </summary>
internal sealed class TelemetryExport : IDisposable
{
    private readonly TracerProvider? _traces;
    private readonly MeterProvider? _metrics;

    private TelemetryExport(TracerProvider? traces, MeterProvider? metrics)
    {
        _traces = traces;
        _metrics = metrics;
    }

    public bool Active => _traces is not null || _metrics is not null;

    /// <param name="role">coordinator, worker or trainer: a resource attribute that tells the processes of a job apart.</param>
    public static TelemetryExport Start(string role, bool console)
    {
        if (IsSet("OTEL_SDK_DISABLED") && Environment.GetEnvironmentVariable("OTEL_SDK_DISABLED")!.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return new(null, null);
        }

        var traceOtlp = IsSet("OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        var metricOtlp = IsSet("OTEL_EXPORTER_OTLP_ENDPOINT") || IsSet("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        if (!traceOtlp && !metricOtlp && !console)
        {
            return new(null, null);
        }

        var resource = ResourceBuilder.CreateDefault()
            .AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? "distributed")
            .AddAttributes([new("distributed.role", role), new("process.pid", Environment.ProcessId)]);
        TracerProvider? traces = null;
        if (traceOtlp || console)
        {
            var builder = Sdk.CreateTracerProviderBuilder().SetResourceBuilder(resource).AddSource(Spans.SourceName);
            if (traceOtlp)
            {
                builder.AddOtlpExporter();
            }

            if (console)
            {
                builder.AddConsoleExporter();
            }

            traces = builder.Build();
        }

        MeterProvider? metrics = null;
        if (metricOtlp || console)
        {
            var builder = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(Spans.SourceName);
            if (metricOtlp)
            {
                builder.AddOtlpExporter();
            }

            if (console)
            {
                builder.AddConsoleExporter();
            }

            metrics = builder.Build();
        }

        return new(traces, metrics);
    }

    public void Dispose()
    {
        _traces?.Dispose();
        _metrics?.Dispose();
    }

    private static bool IsSet(string name) => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(name));
}
