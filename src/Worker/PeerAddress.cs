namespace Distributed.Worker;

/// <summary>How a host:port (or a URL) becomes the address a gRPC channel dials: HTTP/2 over TLS when the job uses it, else cleartext, unless a scheme is given.</summary>
public static class PeerAddress
{
    public static Uri ToUri(string address, bool tls = false) => new(WithScheme(address, tls));

    /// <summary>False for what no channel could dial: no host, no port, or a path.</summary>
    public static bool IsDialable(string address) =>
        Uri.TryCreate(WithScheme(address, tls: false), UriKind.Absolute, out var uri) && uri.Host.Length > 0 && !uri.IsDefaultPort && uri.AbsolutePath == "/";

    private static string WithScheme(string address, bool tls) =>
        address.Contains("://", StringComparison.Ordinal) ? address : $"{(tls ? "https" : "http")}://{address}";
}
