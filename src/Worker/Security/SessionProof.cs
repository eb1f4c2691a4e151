using System.Globalization;
using Grpc.Core;

namespace Distributed.Worker.Security;

/// <summary>
/// What a worker's Session call carries in its headers to be heard at all: the rank it asks for, a nonce the
/// coordinator issued (Challenge), and an HMAC under the job's secret over the job id, the rank and that nonce. The
/// coordinator checks it before it reads a message of the call, so a stranger learns nothing from the refusal.
/// </summary>
public static class SessionProof
{
    public const string RankHeader = "x-session-rank";

    public const string NonceHeader = "x-session-nonce-bin";

    public const string ProofHeader = "x-session-proof-bin";

    private const string Purpose = "coordinator-session/v1";

    public static Metadata Headers(JobSecret secret, string jobId, int rank, byte[] nonce) => new()
    {
        { RankHeader, Text(rank) },
        { NonceHeader, nonce },
        { ProofHeader, secret.Mac(Purpose, jobId, Text(rank), Convert.ToHexString(nonce)) },
    };

    /// <summary>The rank and nonce a call's headers claim, or false when they are missing or malformed.</summary>
    public static bool TryRead(Metadata headers, out int rank, out byte[] nonce, out byte[] proof)
    {
        nonce = headers.GetValueBytes(NonceHeader) ?? [];
        proof = headers.GetValueBytes(ProofHeader) ?? [];
        rank = 0;
        return nonce.Length > 0 && proof.Length > 0 &&
            int.TryParse(headers.GetValue(RankHeader), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out rank);
    }

    /// <summary>Whether <paramref name="proof"/> shows the job's secret for this job, rank and nonce (constant time).</summary>
    public static bool Verifies(JobSecret secret, string jobId, int rank, byte[] nonce, byte[] proof) =>
        secret.Verifies(proof, Purpose, jobId, Text(rank), Convert.ToHexString(nonce));

    private static string Text(int rank) => rank.ToString(CultureInfo.InvariantCulture);
}
