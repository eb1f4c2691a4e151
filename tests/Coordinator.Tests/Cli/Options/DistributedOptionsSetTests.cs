namespace Distributed.Coordinator.Tests.Cli.Options;

/// <summary>Where the roles get the job's secret and certificates, and the one line a missing or malformed one gets (which never repeats the file's content).</summary>
public class DistributedOptionsSetTests
{
    [Theory]
    [InlineData("worker needs the job's secret: --secret-file", "worker", "--coordinator", "127.0.0.1:1")]
    [InlineData("coordinator needs the job's secret: --secret-file", "coordinator", "--workers", "2", "--model", "linreg")]
    [InlineData("--tls needs --workers", "train", "--model", "linreg", "--tls")]
    public void ARoleWithoutTheSecretOrAFlagThatWouldDoNothingIsRefusedWithOneLine(string expected, params string[] args)
    {
        var (code, _, err) = CliRunner.Run(args);

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, expected);
    }

    [Fact]
    public void AMalformedSecretFileIsNamedButNotQuoted()
    {
        using var dir = new TempDirectory();
        var file = dir.File("secret");
        File.WriteAllText(file, "0123456789abcdef-almost-a-secret");

        var (code, _, err) = CliRunner.Run("worker", "--coordinator", "127.0.0.1:1", "--secret-file", file);

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, "--secret-file does not hold a job secret (64 hex digits)");
        Assert.DoesNotContain("almost-a-secret", err, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsWithoutTheJobsCertificatesIsOneLine()
    {
        using var dir = new TempDirectory();
        var file = dir.File("secret");
        File.WriteAllText(file, Distributed.Worker.Security.JobSecret.Create().ToText());

        var (code, _, err) = CliRunner.Run("worker", "--coordinator", "127.0.0.1:1", "--secret-file", file, "--tls");

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, "worker --tls needs the job's certificates: DISTRIBUTED_TLS_DIR");
    }

    [Fact]
    public void AMissingSecretFileIsOneLine()
    {
        using var dir = new TempDirectory();

        var (code, _, err) = CliRunner.Run("coordinator", "--workers", "2", "--model", "linreg", "--secret-file", dir.File("absent"));

        Assert.Equal(2, code);
        BadInputTests.AssertOneLine(err, "--secret-file: cannot read");
    }
}
