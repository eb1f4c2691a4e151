using Distributed.Coordinator.Jobs;

namespace Distributed.Coordinator.Tests.Jobs;

public class SessionNoncesTests
{
    [Fact]
    public void AnIssuedNonceIsFreshAndServesOneSessionOnly()
    {
        var nonces = new SessionNonces();
        var nonce = nonces.Issue();

        Assert.True(nonces.IsFresh(nonce));
        Assert.True(nonces.Consume(nonce));
        Assert.False(nonces.Consume(nonce));
    }

    [Fact]
    public void NoncesAreNotRepeated()
    {
        var nonces = new SessionNonces();

        Assert.Equal(1000, Enumerable.Range(0, 1000).Select(_ => Convert.ToHexString(nonces.Issue())).Distinct().Count());
    }

    [Fact]
    public void ANonceThisCoordinatorDidNotIssueIsNotFresh()
    {
        var nonces = new SessionNonces();
        var tampered = nonces.Issue();
        tampered[0] ^= 1;

        Assert.False(nonces.IsFresh(tampered));
        Assert.False(nonces.IsFresh(new SessionNonces().Issue()));
        Assert.False(nonces.IsFresh([]));
        Assert.False(nonces.IsFresh(new byte[40]));
    }
}
