using System.Diagnostics;
using Distributed.Core.Telemetry;

namespace Distributed.Core.Tests.Telemetry;

[Collection(nameof(ListensToSpans))]
public class TraceContextTests
{
    [Fact]
    public void TheW3CContextTravelsThroughAStringMap()
    {
        using var listener = new ActivityListener { ShouldListenTo = _ => true, Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded };
        ActivitySource.AddActivityListener(listener);
        using var source = new ActivitySource("trace-context-test");
        using var activity = source.StartActivity("root")!;
        var carrier = new Dictionary<string, string>();

        TraceContext.Inject(activity, carrier);
        var context = TraceContext.Extract(carrier);

        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$", carrier["traceparent"]);
        Assert.Equal(activity.TraceId, context.TraceId);
        Assert.Equal(activity.SpanId, context.SpanId);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void NoContextMeansANewRoot()
    {
        TraceContext.Inject(null, new Dictionary<string, string>());

        Assert.Equal(default, TraceContext.Extract(new Dictionary<string, string>()));
    }
}
