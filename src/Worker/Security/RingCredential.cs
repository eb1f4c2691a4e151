using System.Globalization;
using Grpc.Core;

namespace Distributed.Worker.Security;

/// <summary>
/// A rank's credential on the ring: an HMAC under the job's secret over the job id and the rank. A rank presents it
/// in the headers of the Pull it opens to its left neighbour, and the left neighbour presents its own in the answer's
/// headers. Only the job's processes can make one, and one made for another rank or another job does not verify, so
/// a sender can tell its real right neighbour from anyone else before it sends a chunk, and the puller its real left
/// neighbour before it reads one.
/// </summary>
public static class RingCredential
{
    public const string RankHeader = "x-ring-rank";

    public const string CredentialHeader = "x-ring-credential-bin";

    private const string Purpose = "peer-ring/v1";

    public static Metadata Headers(JobSecret secret, string jobId, int rank) => new()
    {
        { RankHeader, Text(rank) },
        { CredentialHeader, secret.Mac(Purpose, jobId, Text(rank)) },
    };

    /// <summary>The rank a call's credential proves, or null when it proves none (missing, malformed, another rank's or another job's).</summary>
    public static int? Verify(Metadata headers, JobSecret secret, string jobId)
    {
        var presented = headers.GetValueBytes(CredentialHeader);
        return presented is not null &&
            int.TryParse(headers.GetValue(RankHeader), NumberStyles.None, CultureInfo.InvariantCulture, out var rank) &&
            secret.Verifies(presented, Purpose, jobId, Text(rank))
            ? rank
            : null;
    }

    private static string Text(int rank) => rank.ToString(CultureInfo.InvariantCulture);
}
