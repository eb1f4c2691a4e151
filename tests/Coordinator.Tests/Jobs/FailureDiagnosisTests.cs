using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Tests.Jobs;

public class FailureDiagnosisTests
{
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(0.4);
    private static readonly TimeSpan Frozen = TimeSpan.FromSeconds(3.2);

    [Fact]
    public void RankThatReportedAndThenClosedItsSessionIsNotTheCause()
    {
        var d = new FailureDiagnosis();
        d.Reported(2, "rank 2 waited 3 s for rank 1 to send step 70");
        d.Lost(2, "closed its session");

        Assert.False(d.HasCause);
        Assert.Equal((1, "stopped answering (nothing for 3 s)"), d.Cause([Live, Frozen, Live]));
    }

    [Fact]
    public void ChainOfReportsBlamesTheSilentRankNotTheFirstReporter()
    {
        // Rank 0 waited for rank 2, which waited for rank 1: rank 0's report came first, yet rank 1 froze.
        var d = new FailureDiagnosis();
        d.Reported(0, "rank 0 waited 3 s for rank 2");
        d.Reported(2, "rank 2 waited 3 s for rank 1");
        d.Lost(2, "closed its session");
        d.Lost(0, "closed its session");

        Assert.Equal(1, d.Cause([Live, Frozen, Frozen])?.Rank);
        Assert.Equal("rank 0 waited 3 s for rank 2; rank 2 waited 3 s for rank 1", d.Reports);
    }

    [Fact]
    public void LostRankThatDidNotReportIsTheCauseBeforeAnySilence()
    {
        var d = new FailureDiagnosis();
        d.Reported(2, "the ring stream from rank 1 broke");
        d.Lost(1, "its process exited with code 137");

        Assert.True(d.HasCause);
        Assert.Equal((1, "its process exited with code 137"), d.Cause([Frozen, Live, Live]));
    }

    [Fact]
    public void NoSuspectLeavesTheReportsAlone()
    {
        var d = new FailureDiagnosis();
        d.Reported(0, "training diverged");

        Assert.Null(d.Cause([Live, Live, Live]));
    }

    [Fact]
    public void FinishedRanksAndReportersAreNeverSuspects()
    {
        var d = new FailureDiagnosis();
        d.Reported(1, "rank 1 waited 3 s for rank 0");

        Assert.Null(d.Cause([null, Frozen]));
    }

    [Fact]
    public void TheLongestSilenceIsBlamed()
    {
        var d = new FailureDiagnosis();
        d.Reported(0, "rank 0 waited");

        Assert.Equal(2, d.Cause([Live, Frozen, Frozen + Frozen, Live])?.Rank);
    }
}
