using System.Diagnostics.Metrics;

namespace Distributed.Core.Telemetry;

/// <summary>
/// The job's metrics. The coordinator (or a single-process run) records the global ones (train.*); each rank
/// records its own (rank.*, collective.*) tagged with its rank. Callers check <c>Enabled</c> before building tags,
/// so a run nobody observes pays one field read per instrument.
/// </summary>
public static class Instruments
{
    public static readonly Meter Meter = new(Spans.SourceName, "1.0");

    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("distributed.train.step.duration", "s", "Wall time of one optimizer step of the whole job");

    public static readonly Counter<long> Samples = Meter.CreateCounter<long>("distributed.train.samples", "{sample}", "Training samples processed");

    public static readonly Gauge<double> Throughput = Meter.CreateGauge<double>("distributed.train.throughput", "{sample}/s", "Training samples per second over the last steps");

    public static readonly Gauge<double> Loss = Meter.CreateGauge<double>("distributed.train.loss", "1", "Mean loss of the last global batch");

    public static readonly Gauge<double> Accuracy = Meter.CreateGauge<double>("distributed.train.accuracy", "1", "Accuracy of the last epoch; tag split = train | test");

    public static readonly Histogram<double> RankCompute = Meter.CreateHistogram<double>("distributed.rank.compute.duration", "s", "One rank's data, forward and backward time in a step");

    public static readonly Histogram<double> RankCommunication = Meter.CreateHistogram<double>("distributed.rank.communication.duration", "s", "Communication a rank waited for after its backward pass (not hidden under compute)");

    public static readonly Counter<long> RankBytesSent = Meter.CreateCounter<long>("distributed.rank.communication.bytes", "By", "Bytes a rank sent into the ring");

    public static readonly Histogram<double> CollectiveDuration = Meter.CreateHistogram<double>("distributed.collective.duration", "s", "Duration of one reduce-scatter or all-gather on one rank");

    public static readonly Histogram<double> BusBandwidth = Meter.CreateHistogram<double>("distributed.collective.bus_bandwidth", "GBy/s", "Bytes a rank sent per second of a collective: the bus bandwidth of NCCL's tests for ring algorithms");

    public static readonly Histogram<double> CollectiveWait = Meter.CreateHistogram<double>("distributed.collective.wait", "s", "Time one rank waited for its left neighbour within one collective: the straggler signal (the slow rank waits least)");

    public static readonly Counter<long> RefusedCalls = Meter.CreateCounter<long>("distributed.security.refused_calls", "{call}", "Calls a coordinator or worker refused because they did not prove the job's secret or were not the expected peer; tag service");
}
