namespace Distributed.Core.Telemetry;

/// <summary>
/// Estimates how far a remote process's clock is from this one's, NTP-style, from messages both ways that carry
/// their send time: inbound (remote → here) delays are −θ + d, outbound ones (as the remote measures them) θ + d,
/// where θ is remote − local. With the least delay each way, θ ≈ (out − in) / 2, and the error is at most half the
/// least round trip, (out + in) / 2. Processes on one machine share a clock, so their estimate falls within that
/// error and the offset is taken as zero rather than replaced by noise; across machines a real offset stands out.
/// </summary>
public sealed class ClockSync
{
    private long _minInbound = long.MaxValue;
    private long _minOutbound = long.MaxValue;

    public static long NowUnixNanos() => SpanRecorder.UnixNanos(DateTime.UtcNow);

    /// <summary>The least (local receive − remote send) so far, or <see cref="long.MaxValue"/> before any.</summary>
    public long MinInboundDelay => Interlocked.Read(ref _minInbound);

    public void Inbound(long remoteSentNanos, long localReceivedNanos) => Min(ref _minInbound, localReceivedNanos - remoteSentNanos);

    /// <summary>The remote's own least (its receive − this side's send), as it reported it.</summary>
    public void Outbound(long remoteMinDelayNanos) => Min(ref _minOutbound, remoteMinDelayNanos);

    /// <summary>Remote clock minus local clock in nanoseconds; 0 until both directions are measured or while the estimate is within its error.</summary>
    public long OffsetNanos
    {
        get
        {
            var inbound = Interlocked.Read(ref _minInbound);
            var outbound = Interlocked.Read(ref _minOutbound);
            if (inbound == long.MaxValue || outbound == long.MaxValue)
            {
                return 0;
            }

            var offset = (outbound - inbound) / 2;
            var error = (outbound + inbound) / 2;
            return Math.Abs(offset) > error ? offset : 0;
        }
    }

    private static void Min(ref long field, long value)
    {
        var current = Interlocked.Read(ref field);
        while (value < current)
        {
            var seen = Interlocked.CompareExchange(ref field, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
