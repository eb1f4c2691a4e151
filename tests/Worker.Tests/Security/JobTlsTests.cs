using Distributed.Worker.Security;

namespace Distributed.Worker.Tests.Security;

public class JobTlsTests
{
    [Fact]
    public void TheBundleAndTheFilesCarryTheSameCertificates()
    {
        var tls = JobTls.Create("job");
        var fromBundle = JobTls.FromBundle(tls.ToBundle(), "test");
        using var dir = new TempDirectory();
        foreach (var (name, content) in tls.ToPem())
        {
            File.WriteAllText(dir.File(name), content);
        }

        var fromFiles = JobTls.ReadDirectory(dir.Path, "test");

        Assert.All(new[] { fromBundle, fromFiles }, loaded =>
        {
            Assert.Equal(tls.Certificate.Thumbprint, loaded.Certificate.Thumbprint);
            Assert.True(loaded.Certificate.HasPrivateKey);
            Assert.True(loaded.Trusts(tls.Certificate));
        });
    }

    [Fact]
    public void OnlyTheJobsOwnCaIsTrusted()
    {
        var tls = JobTls.Create("job");
        var other = JobTls.Create("job");

        Assert.True(tls.Trusts(tls.Certificate));
        Assert.False(tls.Trusts(other.Certificate));
        Assert.False(tls.Trusts(null));
    }

    [Fact]
    public void AnythingButTheThreePemBlocksIsRefusedWithoutQuotingIt()
    {
        var error = Assert.Throws<FormatException>(() => JobTls.FromBundle("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "SOURCE"));

        Assert.Equal("SOURCE does not hold the job's certificates", error.Message);
    }
}
