namespace Distributed.Worker;

/// <summary>How a host:port (or a URL) becomes the address a gRPC channel dials: cleartext HTTP/2 unless a scheme is given.</summary>
public static class PeerAddress
{
    public static Uri ToUri(string address) => new(WithScheme(address));

    /// <summary>False for what no channel could dial: no host, no port, or a path.</summary>
    public static bool IsDialable(string address) =>
        Uri.TryCreate(WithScheme(address), UriKind.Absolute, out var uri) && uri.Host.Length > 0 && !uri.IsDefaultPort && uri.AbsolutePath == "/";

    private static string WithScheme(string address) => address.Contains("://", StringComparison.Ordinal) ? address : $"http://{address}";
}
