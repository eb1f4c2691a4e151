using System.Security.Cryptography;
using System.Text;

namespace Distributed.Worker.Security;

/// <summary>
/// The job's 256-bit secret: every process of one job holds it, nobody else does, and every call between them
/// proves it (<see cref="SessionProof"/>, <see cref="RingCredential"/>). It travels as 64 hex digits in a file or an
/// environment variable, never on a command line, and <see cref="ToString"/> never shows it, so no log line can.
/// </summary>
public sealed class JobSecret
{
    public const int Bytes = 32;

    /// <summary>Names a file holding the secret, for `coordinator` and `worker` (a mounted Kubernetes Secret).</summary>
    public const string FileVariable = "DISTRIBUTED_SECRET_FILE";

    /// <summary>Holds the secret itself; set only by the local launcher in the environment of the workers it starts.</summary>
    public const string Variable = "DISTRIBUTED_SECRET";

    private readonly byte[] _key;

    private JobSecret(byte[] key) => _key = key;

    public static JobSecret Create() => new(RandomNumberGenerator.GetBytes(Bytes));

    /// <summary>Parses the text form (surrounding whitespace ignored); a malformed secret names only its source, never its content.</summary>
    public static JobSecret Parse(string text, string source)
    {
        var hex = text.Trim();
        if (hex.Length != 2 * Bytes || !hex.All(Uri.IsHexDigit))
        {
            throw new FormatException($"{source} does not hold a job secret ({2 * Bytes} hex digits)");
        }

        return new JobSecret(Convert.FromHexString(hex));
    }

    public static JobSecret ReadFile(string path, string source)
    {
        try
        {
            return Parse(File.ReadAllText(path), source);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{source}: cannot read '{path}' ({ex.GetType().Name})", ex);
        }
    }

    /// <summary>The text form, for the one place it is handed on (a worker's environment, a Kubernetes Secret).</summary>
    public string ToText() => Convert.ToHexStringLower(_key);

    /// <summary>HMAC-SHA256 under the secret over <paramref name="parts"/>, each length-prefixed so no two lists of parts collide.</summary>
    public byte[] Mac(params ReadOnlySpan<string> parts)
    {
        using var mac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        Span<byte> length = stackalloc byte[4];
        foreach (var part in parts)
        {
            var bytes = Encoding.UTF8.GetBytes(part);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            mac.AppendData(length);
            mac.AppendData(bytes);
        }

        return mac.GetHashAndReset();
    }

    /// <summary>Whether <paramref name="presented"/> is the MAC over <paramref name="parts"/>, compared in constant time.</summary>
    public bool Verifies(ReadOnlySpan<byte> presented, params ReadOnlySpan<string> parts) =>
        CryptographicOperations.FixedTimeEquals(presented, Mac(parts));

    public override string ToString() => "JobSecret(hidden)";
}
