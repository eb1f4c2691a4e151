using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Tests.Jobs.Fakes;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Tests.Jobs;

public class RendezvousTests
{
    private static readonly JobPlan Plan = FakeCluster.Plan(3);

    [Fact]
    public async Task RanksAreTheRequestedOnesWhateverTheJoinOrder()
    {
        var rendezvous = new Rendezvous(Plan);

        var two = rendezvous.Admit(Join(2));
        var zero = rendezvous.Admit(Join(0));
        var one = rendezvous.Admit(Join(1));

        Assert.Equal([0, 1, 2], new[] { zero.Rank, one.Rank, two.Rank });
        Assert.Equal([zero, one, two], await rendezvous.Complete);
    }

    [Fact]
    public async Task WorkersWithoutARequestFillTheFreeRanksInJoinOrder()
    {
        var rendezvous = new Rendezvous(Plan);

        var first = rendezvous.Admit(Join(-1, "a:1"));
        var asked = rendezvous.Admit(Join(0, "b:1"));
        Assert.False(rendezvous.Complete.IsCompleted);
        var last = rendezvous.Admit(Join(-1, "c:1"));

        Assert.Equal((0, 1, 2), (asked.Rank, first.Rank, last.Rank));
        Assert.Equal(["b:1", "a:1", "c:1"], (await rendezvous.Complete).Select(s => s.Join.Address));
    }

    [Fact]
    public void AWorkerOfAnotherJobIsRefused()
    {
        var join = Join(-1);
        join.JobId = "other-job";

        var error = Refused(new Rendezvous(Plan), join);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("this coordinator runs job 'test-job', not 'other-job'", error.Status.Detail);
    }

    [Fact]
    public void AWorkerWithAnotherConfigurationIsRefusedNamingTheFirstDifferingKey()
    {
        var join = Join(-1);
        join.Config = "model=mlp; optimizer=sgd; lr=0.1; zero=2";

        var error = Refused(new Rendezvous(Plan), join);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.EndsWith("optimizer is 'sgd' on the worker, 'adam' on the coordinator", error.Status.Detail);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-2)]
    public void ARankOutsideTheWorldIsRefused(int rank)
    {
        var error = Refused(new Rendezvous(Plan), Join(rank));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal($"rank {rank} is outside a world of 3", error.Status.Detail);
    }

    [Fact]
    public void ATakenRankIsRefused()
    {
        var rendezvous = new Rendezvous(Plan);
        rendezvous.Admit(Join(1));

        var error = Refused(rendezvous, Join(1));

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Equal("rank 1 has already joined", error.Status.Detail);
        Assert.Equal(1, rendezvous.JoinedCount);
    }

    [Fact]
    public void AWorkerBeyondTheWorldSizeIsRefused()
    {
        var rendezvous = new Rendezvous(Plan);
        for (var i = 0; i < 3; i++)
        {
            rendezvous.Admit(Join(-1));
        }

        var error = Refused(rendezvous, Join(-1));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal("the job already has its 3 workers", error.Status.Detail);
    }

    [Fact]
    public async Task AWorkerThatWithdrawsBeforeTheJobIsCompleteFreesItsPlaceAndItsRank()
    {
        var rendezvous = new Rendezvous(Plan);
        var leaving = rendezvous.Admit(Join(1, "gone:1"));
        rendezvous.Withdraw(leaving);
        Assert.Equal(0, rendezvous.JoinedCount);

        rendezvous.Admit(Join(-1, "a:1"));
        var again = rendezvous.Admit(Join(1, "back:1"));
        rendezvous.Admit(Join(-1, "c:1"));

        Assert.Equal(1, again.Rank);
        Assert.Equal(["a:1", "back:1", "c:1"], (await rendezvous.Complete).Select(s => s.Join.Address));
    }

    [Fact]
    public async Task WithdrawingAfterTheJobIsCompleteChangesNothing()
    {
        var rendezvous = new Rendezvous(FakeCluster.Plan(1));
        var only = rendezvous.Admit(Join(-1));

        rendezvous.Withdraw(only);

        Assert.Equal(1, rendezvous.JoinedCount);
        Assert.Same(only, Assert.Single(await rendezvous.Complete));
    }

    private static JoinRequest Join(int rank, string address = "127.0.0.1:0") => FakeWorker.JoinOf(Plan, rank, address);

    private static RpcException Refused(Rendezvous rendezvous, JoinRequest join) => Assert.Throws<RpcException>(() => rendezvous.Admit(join));
}
