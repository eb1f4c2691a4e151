using Distributed.Core.Telemetry;

namespace Distributed.Core.Tests.Telemetry;

public class ClockSyncTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void ARemoteClockAheadByMoreThanTheRoundTripIsEstimated()
    {
        var clock = new ClockSync();
        const long ahead = 50 * Ms;

        // Delays of 0.3 ms out and 0.5 ms back, with jitter the minimum filters out.
        foreach (var jitter in new long[] { 4 * Ms, 0, 2 * Ms })
        {
            clock.Inbound(remoteSentNanos: 1_000 * Ms + ahead, localReceivedNanos: 1_000 * Ms + (Ms / 2) + jitter);
        }

        clock.Outbound(ahead + (3 * Ms / 10));

        Assert.Equal(ahead, clock.OffsetNanos, (double)Ms / 2);
    }

    [Fact]
    public void OneMachinesClockIsTakenAsShared()
    {
        var clock = new ClockSync();
        clock.Inbound(1_000 * Ms, 1_000 * Ms + (Ms / 5));
        clock.Outbound(Ms / 10);

        Assert.Equal(0, clock.OffsetNanos);
    }

    [Fact]
    public void NothingIsAssumedBeforeBothDirectionsAreMeasured()
    {
        var clock = new ClockSync();
        clock.Inbound(0, 80 * Ms);

        Assert.Equal(0, clock.OffsetNanos);
        Assert.Equal(80 * Ms, clock.MinInboundDelay);
    }
}
