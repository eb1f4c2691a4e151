using System.Diagnostics;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Tests.Jobs.Fakes;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Tests.Jobs;

/// <summary>The rendezvous after a restart: when it goes on with fewer workers (--min-workers, --rejoin-timeout), and how it numbers them.</summary>
public class RendezvousRejoinTests
{
    private static readonly TimeSpan RejoinTimeout = TimeSpan.FromSeconds(10);

    /// <summary>A job of 3 restarted with at least 2 required.</summary>
    private static readonly JobPlan Restarted = FakeCluster.Plan(3, p => p with { Rejoin = new RejoinPolicy(2, RejoinTimeout, 3) });

    [Fact]
    public async Task OnceTheMinimumIsBackTheOthersHaveTheRejoinTimeoutThenTheJobGoesOnWithoutThem()
    {
        var rendezvous = new Rendezvous(Restarted);
        var zero = rendezvous.Admit(Join(0));
        var two = rendezvous.Admit(Join(2));
        var quorum = Stopwatch.GetTimestamp();

        rendezvous.CloseIfDue(quorum + Ticks(RejoinTimeout / 2));
        Assert.False(rendezvous.Complete.IsCompleted);
        rendezvous.CloseIfDue(quorum + Ticks(RejoinTimeout));

        // Rank 2 of 3 becomes rank 1 of 2: the ring keeps its order.
        Assert.Equal([zero, two], await rendezvous.Complete);
        Assert.Equal((0, 1), (zero.Rank, two.Rank));
        Assert.Equal("rank 1 did not rejoin within 10 s (--rejoin-timeout); going on with 2 of 3 workers (--min-workers 2)", rendezvous.Shortfall);
    }

    [Fact]
    public void BelowTheMinimumTheRejoinTimeoutNeverCloses()
    {
        var rendezvous = new Rendezvous(Restarted);
        rendezvous.Admit(Join(1));

        rendezvous.CloseIfDue(Stopwatch.GetTimestamp() + Ticks(TimeSpan.FromDays(1)));

        Assert.False(rendezvous.Complete.IsCompleted);
        Assert.True(rendezvous.CanStillClose);
    }

    [Fact]
    public void AWorkerThatLeavesTheMinimumStartsItsClockAgain()
    {
        var rendezvous = new Rendezvous(Restarted);
        rendezvous.Admit(Join(0));
        var leaving = rendezvous.Admit(Join(1));
        rendezvous.Withdraw(leaving);
        rendezvous.Admit(Join(2));
        var quorum = Stopwatch.GetTimestamp();

        // A second quorum was reached just now: the first one's clock does not count.
        rendezvous.CloseIfDue(quorum + Ticks(RejoinTimeout / 2));

        Assert.False(rendezvous.Complete.IsCompleted);
    }

    [Fact]
    public async Task AWorkerWhoseProcessExitedIsNotWaitedFor()
    {
        var rendezvous = new Rendezvous(Restarted);
        rendezvous.Admit(Join(0));
        rendezvous.Admit(Join(1));

        Assert.True(rendezvous.Gone(2, "its process exited with code 137"));

        Assert.Equal(2, (await rendezvous.Complete).Length);
        Assert.Equal("rank 2 did not rejoin (its process exited with code 137); going on with 2 of 3 workers (--min-workers 2)", rendezvous.Shortfall);
    }

    [Fact]
    public async Task AWorkerWhoseProcessExitedAfterItJoinedIsLeftOutEvenBeforeItsSessionEnds()
    {
        var rendezvous = new Rendezvous(Restarted);
        var zero = rendezvous.Admit(Join(0));
        rendezvous.Admit(Join(1));
        Assert.True(rendezvous.Gone(1, "its process exited with code 137"));
        Assert.False(rendezvous.Complete.IsCompleted);

        var two = rendezvous.Admit(Join(2));

        Assert.Equal([zero, two], await rendezvous.Complete);
    }

    [Fact]
    public void TooManyGoneWorkersLeaveTooFewForTheMinimum()
    {
        var rendezvous = new Rendezvous(Restarted);
        rendezvous.Admit(Join(0));

        rendezvous.Gone(1, "its process exited with code 1");
        Assert.True(rendezvous.CanStillClose);
        rendezvous.Gone(2, "its process exited with code 1");

        Assert.False(rendezvous.CanStillClose);
        Assert.False(rendezvous.Complete.IsCompleted);
    }

    [Fact]
    public void AFirstStartNeedsEveryWorkerWhateverTheClock()
    {
        var rendezvous = new Rendezvous(FakeCluster.Plan(3));
        rendezvous.Admit(Join(0));
        rendezvous.Admit(Join(1));

        rendezvous.CloseIfDue(Stopwatch.GetTimestamp() + Ticks(TimeSpan.FromDays(1)));
        Assert.False(rendezvous.Complete.IsCompleted);
        rendezvous.Gone(2, "its process exited with code 1");

        Assert.False(rendezvous.CanStillClose);
        Assert.False(rendezvous.Complete.IsCompleted);
    }

    [Fact]
    public void AProcessThatExitsOnceTheJobHasItsWorkersIsTheJobsLoss()
    {
        var rendezvous = new Rendezvous(Restarted);
        rendezvous.Admit(Join(0));
        rendezvous.Admit(Join(1));
        rendezvous.Admit(Join(2));

        Assert.False(rendezvous.Gone(1, "its process exited with code 137"));
        Assert.Null(rendezvous.Shortfall);
    }

    [Fact]
    public async Task AfterAShrinkWorkersMayStillAskForTheirRankInTheFirstWorld()
    {
        // The world went from 3 to 2; a Kubernetes pod keeps asking for its completion index, 2.
        var rendezvous = new Rendezvous(FakeCluster.Plan(2, p => p with { Rejoin = new RejoinPolicy(2, RejoinTimeout, 3) }));
        var two = rendezvous.Admit(Join(2));
        var zero = rendezvous.Admit(Join(0));

        Assert.Equal([zero, two], await rendezvous.Complete);
        var late = Assert.Throws<RpcException>(() => rendezvous.Admit(Join(1)));
        Assert.Equal("the job already has its 2 workers", late.Status.Detail);
        Assert.Equal("rank 3 is outside a world of 3", Assert.Throws<RpcException>(() => new Rendezvous(FakeCluster.Plan(2, p => p with { Rejoin = new RejoinPolicy(2, RejoinTimeout, 3) })).Admit(Join(3))).Status.Detail);
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static JoinRequest Join(int rank) => FakeWorker.JoinOf(Restarted, rank, $"worker-{rank}:7000");
}
