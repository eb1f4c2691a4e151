using System.Diagnostics;

namespace Distributed.Core.Telemetry;

/// <summary>
/// The one <see cref="ActivitySource"/> every span of a job comes from, the span names, and starters that cost
/// nothing when nobody listens: <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null
/// without a listener, and tags are only set on a live span, so the training step allocates nothing for tracing
/// unless a trace is being taken.
/// </summary>
public static class Spans
{
    public const string SourceName = "Distributed";

    public const string Step = "step";
    public const string Data = "data";
    public const string Forward = "forward";
    public const string Backward = "backward";
    public const string Optimizer = "optimizer";
    public const string AllReduce = "all-reduce";
    public const string ReduceScatter = "reduce-scatter";
    public const string AllGather = "all-gather";
    public const string Evaluate = "evaluate";
    public const string Checkpoint = "checkpoint";
    public const string Finish = "finish";

    /// <summary>The coordinator's: from a lost rank to every rank training again from the newest checkpoint.</summary>
    public const string Restart = "restart";

    public static readonly ActivitySource Source = new(SourceName, "1.0");

    /// <summary>
    /// A step's span: the root of its trace on the coordinator (or in a single-process run), or a rank's step
    /// span parented on the coordinator's (<paramref name="parent"/>, carried in the step assignment).
    /// </summary>
    public static Activity? StartStep(long step, int epoch, int globalBatch, ActivityContext parent = default, ActivityKind kind = ActivityKind.Internal)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(Step, kind, parent);
        if (activity is not null)
        {
            activity.SetTag(SpanTags.Step, step);
            activity.SetTag(SpanTags.Epoch, epoch);
            activity.SetTag(SpanTags.GlobalBatch, globalBatch);
        }

        return activity;
    }

    /// <summary>
    /// Starts a root span without making it <see cref="Activity.Current"/>: the coordinator keeps a step's span open
    /// while it assigns later steps, and those must not become its children. Stop it with <see cref="StopDetached"/>.
    /// </summary>
    public static Activity? StartDetached(string name, ActivityKind kind = ActivityKind.Internal)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var previous = Activity.Current;
        Activity.Current = null;
        var activity = Source.StartActivity(name, kind);
        Activity.Current = previous;
        return activity;
    }

    /// <summary>Stops a span from <see cref="StartDetached"/> and leaves <see cref="Activity.Current"/> as it was (Stop alone resets it to the span's parent).</summary>
    public static void StopDetached(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }

        var previous = Activity.Current;
        activity.Stop();
        Activity.Current = previous == activity ? null : previous;
    }

    /// <summary>
    /// A leaf phase of a traced step or evaluation (data, forward, backward, optimizer), tagged with the step span's
    /// rank. Null outside a span of this source, so evaluation and tests that run layers alone start no stray traces.
    /// The phase does not become <see cref="Activity.Current"/>: collectives launched during backward stay children
    /// of the step, not of the backward pass they outlive.
    /// </summary>
    public static Activity? StartPhase(string name)
    {
        if (!Source.HasListeners() || Activity.Current is not { } parent || parent.Source != Source)
        {
            return null;
        }

        var activity = Source.StartActivity(name);
        if (activity is null)
        {
            return null;
        }

        if (parent.GetTagItem(SpanTags.Rank) is { } rank)
        {
            activity.SetTag(SpanTags.Rank, rank);
        }

        Activity.Current = parent;
        return activity;
    }

    /// <summary>A span under the current one (a collective, an evaluation, a checkpoint), tagged with the rank when there is one.</summary>
    public static Activity? StartChild(string name, object? rank, ActivityContext parent = default, ActivityKind kind = ActivityKind.Internal)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity(name, kind, parent);
        if (activity is not null && rank is not null)
        {
            activity.SetTag(SpanTags.Rank, rank);
        }

        return activity;
    }
}

/// <summary>Attribute names on the spans.</summary>
public static class SpanTags
{
    public const string Step = "step";
    public const string Epoch = "epoch";
    public const string Rank = "rank";
    public const string WorldSize = "world_size";
    public const string GlobalBatch = "global_batch";
    public const string LocalBatch = "local_batch";
    public const string Loss = "loss";
    public const string Bucket = "bucket";
    public const string Bytes = "bytes";
    public const string BytesSent = "bytes_sent";
    public const string Chunks = "chunks";
    public const string WaitMs = "wait_ms";
    public const string File = "file";
    public const string Reason = "reason";
}
