using System.Diagnostics;
using System.Runtime.InteropServices;
using Distributed.Core.Telemetry;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Distributed.Core.Collectives;

/// <summary>
/// Ring reduce-scatter, all-gather and all-reduce on flat float32 buffers, over any <see cref="IRingTransport"/>.
/// Each segment is cut into chunks that are forwarded as soon as they are reduced, so with N ranks and C chunks
/// the ring is busy after the first hop instead of after a whole segment: the classic pipelined ring. A rank sends
/// (N−1)/N of the buffer in a reduce-scatter and as much again in the all-gather.
/// <para>
/// Segment j is summed along the ring in one fixed order (starting at rank j+1, ending at rank j), and only rank j
/// holds the final sum, which the all-gather copies to everyone: every rank ends with bitwise-identical values.
/// </para>
/// Not thread-safe: one collective at a time per rank, and all ranks must call the same collectives in the same order.
/// </summary>
public sealed partial class RingCollectives
{
    public const int DefaultChunkFloats = 64 * 1024;

    /// <summary>Room for one rank's double in <see cref="AllReduceSumAsync"/>'s float buffer.</summary>
    private const int SumPartFloats = sizeof(double) / sizeof(float);

    /// <summary>How long a wait on a peer may last before the link is declared broken, unless told otherwise (the CLI's --peer-timeout default).</summary>
    public static readonly TimeSpan DefaultPeerTimeout = TimeSpan.FromSeconds(30);

    private readonly IRingTransport _transport;
    private readonly object _rankTag;
    private long _sequence;
    private long _chunksSent;
    private long _waitTicks;
    private CancellationTokenSource _deadline = new();
    private readonly float[] _sumParts;
    private readonly Dictionary<int, Segments> _even = [];

    public RingCollectives(IRingTransport transport, int chunkFloats = DefaultChunkFloats, TimeSpan? peerTimeout = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkFloats);
        _transport = transport;
        ChunkFloats = chunkFloats;
        PeerTimeout = peerTimeout ?? DefaultPeerTimeout;
        _rankTag = transport.Rank;
        _sumParts = new float[transport.WorldSize * SumPartFloats];
    }

    public int Rank => _transport.Rank;

    public int WorldSize => _transport.WorldSize;

    /// <summary>Whether this rank's compute is running: collectives launched meanwhile wait without taking its core (<see cref="IRingTransport.ComputeRunning"/>).</summary>
    public void ComputeRunning(bool running) => _transport.ComputeRunning(running);

    public int ChunkFloats { get; }

    /// <summary>How long a rank waits for its left neighbour's next chunk before giving up.</summary>
    public TimeSpan PeerTimeout { get; }

    /// <summary>Bytes this rank has sent since it was created.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Optional: hears about receives that wait long (stall reports).</summary>
    public CollectiveWatch? Watch { get; init; }

    /// <summary>Every rank ends with the element-wise sum over ranks of the whole buffer.</summary>
    public async Task AllReduceAsync(Memory<float> buffer, CollectiveTag tag, CancellationToken cancel)
    {
        if (WorldSize == 1)
        {
            return;
        }

        if (UsesExchange(buffer.Length))
        {
            await ExchangeAllReduceAsync(buffer, tag, cancel).ConfigureAwait(false);
            return;
        }

        using var span = StartSpan(Spans.AllReduce, buffer.Length, tag);
        var segments = EvenSegments(buffer.Length);
        await ReduceScatterAsync(buffer, segments, tag, cancel).ConfigureAwait(false);
        await AllGatherAsync(buffer, segments, tag, cancel).ConfigureAwait(false);
    }

    /// <summary>
    /// Sums one double over all ranks (each rank's share of Σg²): every rank gets the same bits. The ranks' values are
    /// all-gathered bit for bit, a double in two floats' room each, and added in rank order. A float all-reduce would
    /// round each share and overflow on the Σg² of a diverging gradient that a double still holds: ZeRO 2 then
    /// stopped a run at a step where one process, which sums in double, went on.
    /// </summary>
    public async ValueTask<double> AllReduceSumAsync(double value, CollectiveTag tag, CancellationToken cancel)
    {
        // One at a time, like every collective on a ring, so one buffer serves them all.
        MemoryMarshal.Cast<float, double>(_sumParts.AsSpan())[Rank] = value;
        await AllGatherAsync(_sumParts, EvenSegments(_sumParts.Length), tag, cancel).ConfigureAwait(false);
        return SumInRankOrder(_sumParts);
    }

    private static double SumInRankOrder(float[] parts)
    {
        var sum = 0.0;
        foreach (var part in MemoryMarshal.Cast<float, double>(parts.AsSpan()))
        {
            sum += part;
        }

        return sum;
    }

    /// <summary>The even split of a buffer, kept: a trainer reduces the same bucket lengths every step.</summary>
    private Segments EvenSegments(int length)
    {
        if (!_even.TryGetValue(length, out var segments))
        {
            segments = Segments.Even(length, WorldSize);
            _even[length] = segments;
        }

        return segments;
    }

    /// <summary>Afterwards rank r's segment of <paramref name="buffer"/> holds the sum over ranks; other segments hold partial sums.</summary>
    public async Task ReduceScatterAsync(Memory<float> buffer, Segments segments, CollectiveTag tag, CancellationToken cancel)
    {
        CheckSegments(buffer, segments);
        if (WorldSize == 1)
        {
            return;
        }

        var sequence = _sequence++;
        var n = WorldSize;
        var before = Measure();
        using var span = StartSpan(Spans.ReduceScatter, segments.Total, tag);

        // Ring step k: send segment (r−k−1), receive segment (r−k−2) and add it in; after N−1 steps rank r owns segment r.
        SendSegment(buffer.Span, segments, Mod(Rank - 1), sequence, tag, CollectivePhase.ReduceScatter, 0);
        for (var k = 0; k < n - 1; k++)
        {
            var segment = Mod(Rank - k - 2);
            var start = segments.Start(segment);
            var length = segments.Length(segment);
            for (var c = 0; c * ChunkFloats < length; c++)
            {
                var offset = start + (c * ChunkFloats);
                var count = Math.Min(ChunkFloats, length - (c * ChunkFloats));
                var expected = new ChunkHeader(sequence, tag.Step, tag.Bucket, CollectivePhase.ReduceScatter, k, c, count);
                var received = await ReceiveExpectedAsync(expected, cancel).ConfigureAwait(false);
                var target = buffer.Span.Slice(offset, count);
                TensorPrimitives.Add(target, MemoryMarshal.Cast<byte, float>(received.Span), target);
                if (k < n - 2)
                {
                    Send(expected with { RingStep = k + 1 }, target);
                }
            }
        }

        Observe(span, before, CollectivePhase.ReduceScatter, tag);
    }

    /// <summary>Rank r contributes its segment of <paramref name="buffer"/>; afterwards every rank holds every segment.</summary>
    public async Task AllGatherAsync(Memory<float> buffer, Segments segments, CollectiveTag tag, CancellationToken cancel)
    {
        CheckSegments(buffer, segments);
        if (WorldSize == 1)
        {
            return;
        }

        var sequence = _sequence++;
        var n = WorldSize;
        var before = Measure();
        using var span = StartSpan(Spans.AllGather, segments.Total, tag);

        // Ring step k: forward segment (r−k), receive segment (r−k−1).
        SendSegment(buffer.Span, segments, Rank, sequence, tag, CollectivePhase.AllGather, 0);
        for (var k = 0; k < n - 1; k++)
        {
            var segment = Mod(Rank - k - 1);
            var start = segments.Start(segment);
            var length = segments.Length(segment);
            for (var c = 0; c * ChunkFloats < length; c++)
            {
                var offset = start + (c * ChunkFloats);
                var count = Math.Min(ChunkFloats, length - (c * ChunkFloats));
                var expected = new ChunkHeader(sequence, tag.Step, tag.Bucket, CollectivePhase.AllGather, k, c, count);
                var received = await ReceiveExpectedAsync(expected, cancel).ConfigureAwait(false);
                var target = buffer.Span.Slice(offset, count);
                MemoryMarshal.Cast<byte, float>(received.Span).CopyTo(target);
                if (k < n - 2)
                {
                    Send(expected with { RingStep = k + 1 }, target);
                }
            }
        }

        Observe(span, before, CollectivePhase.AllGather, tag);
    }

    private void SendSegment(Span<float> buffer, Segments segments, int segment, long sequence, CollectiveTag tag, CollectivePhase phase, int ringStep)
    {
        var start = segments.Start(segment);
        var length = segments.Length(segment);
        for (var c = 0; c * ChunkFloats < length; c++)
        {
            var count = Math.Min(ChunkFloats, length - (c * ChunkFloats));
            Send(new ChunkHeader(sequence, tag.Step, tag.Bucket, phase, ringStep, c, count), buffer.Slice(start + (c * ChunkFloats), count));
        }
    }

    private void Send(in ChunkHeader header, ReadOnlySpan<float> data)
    {
        _transport.Send(header, data);
        BytesSent += (long)data.Length * sizeof(float);
        _chunksSent++;
    }

    /// <summary>Waits for the next chunk and checks that it is exactly the expected one before anything touches the buffer.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> ReceiveExpectedAsync(ChunkHeader expected, CancellationToken cancel)
    {
        var left = Mod(Rank - 1);
        InboundChunk chunk;
        var timeout = Deadline();
        using (cancel.UnsafeRegister(static source => ((CancellationTokenSource)source!).Cancel(), timeout))
        {
            var waitStart = Stopwatch.GetTimestamp();
            Watch?.Begin(expected, left);
            try
            {
                chunk = await _transport.ReceiveAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                throw new PeerTimeoutException($"rank {Rank} waited {PeerTimeout.TotalSeconds:0.#} s for rank {left} to send {expected}");
            }
            finally
            {
                Watch?.End();
                _waitTicks += Stopwatch.GetTimestamp() - waitStart;
            }
        }

        if (chunk.Header != expected)
        {
            throw new RingProtocolException($"rank {Rank} received {chunk.Header} from rank {left}, expected {expected}");
        }

        if (chunk.Payload.Length != expected.Length * sizeof(float))
        {
            throw new RingProtocolException($"rank {Rank} received {chunk.Payload.Length} bytes from rank {left} for {expected}, expected {expected.Length * sizeof(float)}");
        }

        return chunk.Payload;
    }

    /// <summary>
    /// The peer timeout of one receive. One source serves every receive in turn (a rank runs one collective at a
    /// time), reset rather than made anew: a linked source per chunk was an allocation and a timer per chunk.
    /// </summary>
    private CancellationTokenSource Deadline()
    {
        if (!_deadline.TryReset())
        {
            _deadline.Dispose();
            _deadline = new CancellationTokenSource();
        }

        _deadline.CancelAfter(PeerTimeout);
        return _deadline;
    }

    private void CheckSegments(Memory<float> buffer, Segments segments)
    {
        if (segments.Count != WorldSize)
        {
            throw new ArgumentException($"{segments.Count} segments for {WorldSize} ranks");
        }

        if (segments.Start(0) < 0 || segments.Start(0) + segments.Total > buffer.Length)
        {
            throw new ArgumentException($"segments {segments} exceed a buffer of {buffer.Length}");
        }
    }

    private (long Started, long Sent, long Chunks, long Wait) Measure() => (Stopwatch.GetTimestamp(), BytesSent, _chunksSent, _waitTicks);

    private Activity? StartSpan(string name, int floats, CollectiveTag tag)
    {
        var span = Spans.StartChild(name, _rankTag);
        if (span is not null)
        {
            span.SetTag(SpanTags.Step, tag.Step);
            span.SetTag(SpanTags.Bucket, tag.Bucket);
            span.SetTag(SpanTags.Bytes, (long)floats * sizeof(float));
        }

        return span;
    }

    /// <summary>What one collective cost this rank: on its span, and in the collective metrics when anyone listens.</summary>
    private void Observe(Activity? span, (long Started, long Sent, long Chunks, long Wait) before, CollectivePhase phase, CollectiveTag tag)
    {
        if (span is null && !Instruments.CollectiveDuration.Enabled)
        {
            return;
        }

        var seconds = Stopwatch.GetElapsedTime(before.Started).TotalSeconds;
        var sent = BytesSent - before.Sent;
        var wait = (_waitTicks - before.Wait) / (double)Stopwatch.Frequency;
        if (span is not null)
        {
            span.SetTag(SpanTags.BytesSent, sent);
            span.SetTag(SpanTags.Chunks, _chunksSent - before.Chunks);
            span.SetTag(SpanTags.WaitMs, Math.Round(wait * 1000, 3));
        }

        if (Instruments.CollectiveDuration.Enabled)
        {
            var tags = new TagList { { SpanTags.Rank, _rankTag }, { "collective", phase.SpanName() } };
            Instruments.CollectiveDuration.Record(seconds, tags);
            if (seconds > 0)
            {
                Instruments.BusBandwidth.Record(sent / seconds / 1e9, tags);
            }

            tags.Add(SpanTags.Bucket, tag.Bucket);
            Instruments.CollectiveWait.Record(wait, tags);
        }
    }

    private int Mod(int value) => ((value % WorldSize) + WorldSize) % WorldSize;
}
