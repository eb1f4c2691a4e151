using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Distributed.Worker.Security;

/// <summary>
/// The job's own certificate authority and the one certificate it signed for the coordinator and every worker, for
/// mutual TLS: each side presents the certificate and trusts a peer only if the peer's chains to this CA (not to the
/// machine's roots, and without a host-name check, since pod addresses are not known when the certificate is made).
/// Made in memory with System.Security.Cryptography; as PEM files (ca.crt, tls.crt, tls.key) in a Kubernetes Secret.
/// </summary>
public sealed class JobTls
{
    public const string CaFile = "ca.crt";

    public const string CertificateFile = "tls.crt";

    public const string KeyFile = "tls.key";

    /// <summary>Names a directory holding the three files (the mounted Secret); its presence turns TLS on for `coordinator` and `worker`.</summary>
    public const string DirectoryVariable = "DISTRIBUTED_TLS_DIR";

    /// <summary>The three PEM blocks in one value; set only by the local launcher in the environment of the workers it starts.</summary>
    public const string BundleVariable = "DISTRIBUTED_TLS";

    /// <summary>Longer than any job; a resubmitted job gets new ones.</summary>
    private static readonly TimeSpan Validity = TimeSpan.FromDays(90);

    private readonly X509Certificate2 _ca;

    private JobTls(X509Certificate2 ca, X509Certificate2 certificate)
    {
        _ca = ca;
        Certificate = certificate;
    }

    /// <summary>This process's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public static JobTls Create(string jobId)
    {
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN=distributed job {jobId} CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(notBefore, notBefore + Validity);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=distributed job {jobId}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var signed = request.Create(ca, notBefore, notBefore + Validity, RandomNumberGenerator.GetBytes(16));

        // Through PEM, as every other process loads it, so this one holds exactly what they hold.
        return FromPem(ca.ExportCertificatePem(), signed.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public static JobTls FromPem(string caPem, string certificatePem, string keyPem) =>
        new(X509Certificate2.CreateFromPem(caPem), X509Certificate2.CreateFromPem(certificatePem, keyPem));

    /// <summary>Reads ca.crt, tls.crt and tls.key from <paramref name="directory"/>; a problem names the source, never the content.</summary>
    public static JobTls ReadDirectory(string directory, string source)
    {
        try
        {
            return FromPem(File.ReadAllText(Path.Combine(directory, CaFile)), File.ReadAllText(Path.Combine(directory, CertificateFile)), File.ReadAllText(Path.Combine(directory, KeyFile)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new FormatException($"{source}: '{directory}' does not hold the job's {CaFile}, {CertificateFile} and {KeyFile} ({ex.GetType().Name})", ex);
        }
    }

    /// <summary>The files of the job's Secret, by name (each PEM block ends its line, as files do).</summary>
    public IReadOnlyDictionary<string, string> ToPem() => new Dictionary<string, string>
    {
        [CaFile] = _ca.ExportCertificatePem() + "\n",
        [CertificateFile] = Certificate.ExportCertificatePem() + "\n",
        [KeyFile] = Certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem() + "\n",
    };

    /// <summary>The three PEM blocks as one value (CA, certificate, key), for <see cref="BundleVariable"/>.</summary>
    public string ToBundle()
    {
        var files = ToPem();
        return files[CaFile] + files[CertificateFile] + files[KeyFile];
    }

    public static JobTls FromBundle(string bundle, string source)
    {
        var blocks = new List<string>();
        var rest = bundle.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            blocks.Add(rest[fields.Location].ToString());
            rest = rest[fields.Location.End..];
        }

        try
        {
            return blocks.Count == 3 ? FromPem(blocks[0], blocks[1], blocks[2]) : throw new FormatException($"{source} does not hold the job's certificates");
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new FormatException($"{source} does not hold the job's certificates", ex);
        }
    }

    /// <summary>Whether <paramref name="presented"/> was issued by this job's CA.</summary>
    public bool Trusts(X509Certificate? presented)
    {
        if (presented is null)
        {
            return false;
        }

        var certificate = presented as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(_ca.RawDataMemory.Span);
    }

    /// <summary>A client's side: present this certificate, and talk only to a server whose certificate is the job's.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        ClientCertificates = [Certificate],
        RemoteCertificateValidationCallback = (_, certificate, _, _) => Trusts(certificate),
    };
}
