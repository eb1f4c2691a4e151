using System.Diagnostics;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Telemetry;
using Distributed.Protocol;

namespace Distributed.Coordinator.Tests.Telemetry;

public class StallMonitorTests
{
    private static readonly TimeSpan Threshold = TimeSpan.FromSeconds(60);

    [Fact]
    public void NamesTheRankThatNeitherFinishedNorArrived()
    {
        var liveness = new Liveness(4);
        using var monitor = new StallMonitor(liveness, Threshold, _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        for (var r = 0; r < 4; r++)
        {
            monitor.StepDone(r, 11);
        }

        // Rank 2 froze in step 12's compute: rank 3 waits for it, rank 0 for rank 3, rank 1 for rank 0.
        monitor.Waiting(3, Wait(12, waitingFor: 2, seconds: 61), now);
        monitor.Waiting(0, Wait(12, waitingFor: 3, seconds: 60.5), now);
        monitor.Waiting(1, Wait(12, waitingFor: 0, seconds: 60.2), now);

        var warning = monitor.Check(now);

        Assert.NotNull(warning);
        Assert.StartsWith("warning: step 12 is stalled: rank 2 has not arrived at its collectives", warning);
        Assert.Contains("rank 3 61 s at step 12 in bucket 0's reduce-scatter for rank 2", warning);
        Assert.DoesNotContain("ranks", warning.Split('(')[0]);
    }

    [Fact]
    public void RanksWaitingInALaterStepThanTheyReportedHaveFinishedTheStepsBefore()
    {
        // Reports travel in batches: all three reported up to step 64, then rank 1 froze in step 70's compute while
        // ranks 0 and 2 went on to wait in step 70's collectives, their reports of 65–69 not sent yet.
        var liveness = new Liveness(3);
        using var monitor = new StallMonitor(liveness, Threshold, _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        for (var r = 0; r < 3; r++)
        {
            monitor.StepDone(r, 64);
        }

        monitor.Waiting(2, Wait(70, waitingFor: 1, seconds: 61), now);
        monitor.Waiting(0, Wait(70, waitingFor: 2, seconds: 60.5), now);

        var warning = monitor.Check(now);

        Assert.NotNull(warning);
        Assert.StartsWith("warning: step 70 is stalled: rank 1 has not arrived at its collectives", warning);
    }

    [Fact]
    public void AfterARestartIntoASmallerWorldOnlyItsRanksAndWhatTheyDidSinceCount()
    {
        // Three ranks reached step 40; the job restarted from the checkpoint at step 30 with ranks 0 and 1 only.
        var liveness = new Liveness(3);
        using var monitor = new StallMonitor(liveness, Threshold, _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        for (var r = 0; r < 3; r++)
        {
            monitor.StepDone(r, 40);
        }

        monitor.Restart(2);
        monitor.StepDone(0, 31);
        monitor.Waiting(0, Wait(32, waitingFor: 1, seconds: 61), now);

        // Rank 1 is still in step 32 (its step 40 was before the restart); the old rank 2 is no longer in the job.
        Assert.StartsWith("warning: step 32 is stalled: rank 1 has not arrived at its collectives", monitor.Check(now));
    }

    [Fact]
    public void StaysQuietBelowTheThresholdAndWarnsOncePerPeriod()
    {
        var liveness = new Liveness(2);
        using var monitor = new StallMonitor(liveness, Threshold, _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        monitor.Waiting(0, Wait(1, waitingFor: 1, seconds: 30), now);

        Assert.Null(monitor.Check(now));
        var later = now + (31 * Stopwatch.Frequency);
        Assert.Contains("step 1 is stalled: rank 1 has not arrived", monitor.Check(later));
        Assert.Null(monitor.Check(later + Stopwatch.Frequency));
        Assert.NotNull(monitor.Check(later + (61 * Stopwatch.Frequency)));
    }

    [Fact]
    public void ARankThatFinishedTheStepOrResumedIsNotWaiting()
    {
        var liveness = new Liveness(3);
        using var monitor = new StallMonitor(liveness, Threshold, _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        monitor.Waiting(0, Wait(5, waitingFor: 2, seconds: 90), now);
        monitor.Waiting(1, Wait(5, waitingFor: 0, seconds: 90), now);
        monitor.StepDone(0, 5);
        monitor.Waiting(1, Wait(5, waitingFor: 0, seconds: 91, resumed: true), now);

        Assert.Null(monitor.Check(now));
    }

    [Fact]
    public void EveryRankWaitingPointsAtALinkNotARank()
    {
        var liveness = new Liveness(2);
        using var monitor = new StallMonitor(liveness, Threshold, _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        monitor.StepDone(0, 2);
        monitor.StepDone(1, 2);
        monitor.Waiting(0, Wait(3, waitingFor: 1, seconds: 70), now);
        monitor.Waiting(1, Wait(3, waitingFor: 0, seconds: 70), now);

        Assert.Contains("every unfinished rank is waiting", monitor.Check(now));
    }

    [Fact]
    public void ARankThatFrozeInsideAReportedWaitIsNamedByItsSilence()
    {
        // Rank 1 reported waiting for rank 0, then froze before the chunk arrived: every rank now seems to wait.
        var liveness = new Liveness(3);
        using var monitor = new StallMonitor(liveness, TimeSpan.FromSeconds(1), _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        long SecondsAgo(double s) => now - (long)(s * Stopwatch.Frequency);
        for (var r = 0; r < 3; r++)
        {
            monitor.StepDone(r, 64);
        }

        monitor.Waiting(1, Wait(65, waitingFor: 0, seconds: 0.5), SecondsAgo(3.4));
        liveness.Heard(1, SecondsAgo(3.4));
        monitor.Waiting(2, Wait(65, waitingFor: 1, seconds: 2.5), SecondsAgo(0.5));
        monitor.Waiting(0, Wait(65, waitingFor: 2, seconds: 2.4), SecondsAgo(0.5));
        liveness.Heard(0, SecondsAgo(0.3));
        liveness.Heard(2, SecondsAgo(0.6));

        var warning = monitor.Check(now);

        Assert.NotNull(warning);
        Assert.StartsWith("warning: step 65 is stalled: rank 1 has not arrived at its collectives (waiting: rank 0 2.9 s", warning);
        Assert.Contains("rank 2 3 s at step 65 in bucket 0's reduce-scatter for rank 1", warning);
        Assert.EndsWith("; silent: rank 1 for 3.4 s", warning);
        Assert.DoesNotContain("rank 1 3", warning);
    }

    [Fact]
    public void EveryRankSeemingToWaitHoldsTheWarningUntilAFrozenRankWouldShow()
    {
        var liveness = new Liveness(2);
        using var monitor = new StallMonitor(liveness, TimeSpan.FromSeconds(1), _ => { }, startTimer: false);
        var now = Stopwatch.GetTimestamp();
        monitor.Waiting(0, Wait(1, waitingFor: 1, seconds: 1.5), now);
        monitor.Waiting(1, Wait(1, waitingFor: 0, seconds: 1.2), now);
        liveness.Heard(0, now);
        liveness.Heard(1, now);

        Assert.Null(monitor.Check(now));
        var later = now + (2 * Stopwatch.Frequency);
        liveness.Heard(0, later);
        liveness.Heard(1, later);
        Assert.Contains("every unfinished rank is waiting", monitor.Check(later));
    }

    [Fact]
    public void ReportDelayIsShortBesideTheThreshold()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), StallMonitor.ReportDelay(TimeSpan.FromSeconds(60)));
        Assert.Equal(TimeSpan.FromSeconds(0.5), StallMonitor.ReportDelay(TimeSpan.FromSeconds(1)));
    }

    private static CollectiveWait Wait(long step, int waitingFor, double seconds, bool resumed = false) =>
        new() { Step = step, Bucket = 0, Collective = "reduce-scatter", WaitingFor = waitingFor, WaitedSeconds = seconds, Resumed = resumed };
}
