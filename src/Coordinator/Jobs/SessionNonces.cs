using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// The nonces a worker's session proof must cover, so a proof seen once cannot be presented again. Issuing keeps no
/// state (a nonce is random bytes, its issue time and a MAC under a key only this process has), so anyone may ask
/// for as many as they like without growing anything; only a nonce consumed by a proven session is remembered,
/// until it has expired anyway.
/// </summary>
internal sealed class SessionNonces
{
    /// <summary>A worker asks for a nonce just before it opens its session; a minute allows for a slow machine.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(1);

    private const int RandomBytes = 16;
    private const int TimeBytes = sizeof(long);
    private const int TagBytes = 16;

    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, long> _consumed = new();

    public byte[] Issue()
    {
        var nonce = new byte[RandomBytes + TimeBytes + TagBytes];
        RandomNumberGenerator.Fill(nonce.AsSpan(0, RandomBytes));
        BinaryPrimitives.WriteInt64LittleEndian(nonce.AsSpan(RandomBytes, TimeBytes), Now());
        Tag(nonce).CopyTo(nonce.AsSpan(RandomBytes + TimeBytes));
        return nonce;
    }

    /// <summary>Whether this process issued <paramref name="nonce"/> less than <see cref="Lifetime"/> ago.</summary>
    public bool IsFresh(byte[] nonce) =>
        nonce.Length == RandomBytes + TimeBytes + TagBytes &&
        CryptographicOperations.FixedTimeEquals(nonce.AsSpan(RandomBytes + TimeBytes), Tag(nonce)) &&
        Now() - BinaryPrimitives.ReadInt64LittleEndian(nonce.AsSpan(RandomBytes, TimeBytes)) is var age && age >= 0 && age <= Lifetime.Ticks;

    /// <summary>Marks a fresh nonce used by a proven session; false when it was used before (a replay).</summary>
    public bool Consume(byte[] nonce)
    {
        var now = Now();
        foreach (var (old, at) in _consumed)
        {
            if (now - at > Lifetime.Ticks)
            {
                _consumed.TryRemove(old, out _);
            }
        }

        return _consumed.TryAdd(Convert.ToHexString(nonce), now);
    }

    private byte[] Tag(byte[] nonce) => HMACSHA256.HashData(_key, nonce.AsSpan(0, RandomBytes + TimeBytes))[..TagBytes];

    /// <summary>Ticks of a monotonic clock: only this process compares them.</summary>
    private static long Now() => Stopwatch.GetElapsedTime(0).Ticks;
}
