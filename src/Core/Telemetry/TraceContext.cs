using System.Diagnostics;
using OpenTelemetry.Context.Propagation;

namespace Distributed.Core.Telemetry;

/// <summary>
/// W3C trace context (traceparent, tracestate) in a string map, such as a protobuf map field: how a step's trace
/// crosses from the coordinator to the workers inside the step assignment, through OpenTelemetry's propagator.
/// </summary>
public static class TraceContext
{
    private static readonly TraceContextPropagator Propagator = new();

    public static void Inject(Activity? activity, IDictionary<string, string> carrier)
    {
        if (activity is null)
        {
            return;
        }

        Propagator.Inject(new PropagationContext(activity.Context, default), carrier, static (c, key, value) => c[key] = value);
    }

    /// <summary>The remote parent in <paramref name="carrier"/>, or default (a new root) when it holds none.</summary>
    public static ActivityContext Extract(IDictionary<string, string> carrier)
    {
        if (carrier.Count == 0)
        {
            return default;
        }

        return Propagator.Extract(default, carrier, static (c, key) => c.TryGetValue(key, out var value) ? [value] : []).ActivityContext;
    }
}
