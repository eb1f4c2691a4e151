using Distributed.Worker.Security;

namespace Distributed.Worker.Tests.Security;

public class JobSecretTests
{
    [Fact]
    public void TheTextFormRoundTripsAndNothingElseShowsIt()
    {
        var secret = JobSecret.Create();
        var text = secret.ToText();

        Assert.Matches("^[0-9a-f]{64}$", text);
        Assert.Equal(secret.Mac("x"), JobSecret.Parse($"  {text.ToUpperInvariant()}\n", "test").Mac("x"));
        Assert.DoesNotContain(text, secret.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.NotEqual(text, JobSecret.Create().ToText());
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00")]
    public void AnythingButSixtyFourHexDigitsIsRefusedWithoutQuotingIt(string text)
    {
        var error = Assert.Throws<FormatException>(() => JobSecret.Parse(text, "SOURCE"));

        Assert.Equal("SOURCE does not hold a job secret (64 hex digits)", error.Message);
    }

    [Fact]
    public void MacsSeparateTheirParts()
    {
        var secret = JobSecret.Create();

        Assert.NotEqual(secret.Mac("ab", "c"), secret.Mac("a", "bc"));
        Assert.True(secret.Verifies(secret.Mac("a", "bc"), "a", "bc"));
        Assert.False(secret.Verifies(secret.Mac("a", "bc")[..16], "a", "bc"));
    }

    [Fact]
    public void ARingCredentialProvesItsRankOfItsJobUnderItsSecretOnly()
    {
        var secret = JobSecret.Create();

        Assert.Equal(3, RingCredential.Verify(RingCredential.Headers(secret, "job", 3), secret, "job"));
        Assert.Null(RingCredential.Verify(RingCredential.Headers(secret, "other", 3), secret, "job"));
        Assert.Null(RingCredential.Verify(RingCredential.Headers(JobSecret.Create(), "job", 3), secret, "job"));
        Assert.Null(RingCredential.Verify([], secret, "job"));
    }

    [Fact]
    public void ASessionProofCoversTheJobTheRankAndTheNonce()
    {
        var secret = JobSecret.Create();
        var nonce = new byte[] { 1, 2, 3 };

        Assert.True(SessionProof.TryRead(SessionProof.Headers(secret, "job", -1, nonce), out var rank, out var read, out var proof));
        Assert.Equal(-1, rank);
        Assert.True(SessionProof.Verifies(secret, "job", -1, read, proof));
        Assert.False(SessionProof.Verifies(secret, "job", 0, read, proof));
        Assert.False(SessionProof.Verifies(secret, "other", -1, read, proof));
        Assert.False(SessionProof.Verifies(secret, "job", -1, [1, 2, 4], proof));
        Assert.False(SessionProof.TryRead([], out _, out _, out _));
    }
}
