using Distributed.Core.Collectives;
using Distributed.Core.Collectives.SharedMemory;

namespace Distributed.Core.Tests.Collectives.SharedMemory;

/// <summary>
/// N ranks in one process connected as a ring through real shared-memory segments (files in /dev/shm), each link
/// falling back to an in-process ring where a rank may not attach: what the ring tests and the step tests start from.
/// </summary>
internal static class ShmLinks
{
    /// <summary>Each rank's transport, in rank order, and the segment each rank offered (the caller disposes both).</summary>
    public static async Task<(ShmRingTransport[] Transports, ShmOffer[] Offers)> ConnectAsync(int n, int chunkFloats, Func<int, bool>? attach = null, bool required = false)
    {
        var fallback = InProcessRing.Create(n);
        var offers = Enumerable.Range(0, n).Select(_ => ShmOffer.Create(chunkFloats)).ToArray();
        var transports = await Task.WhenAll(Enumerable.Range(0, n).Select(r => Task.Run(() =>
        {
            var right = offers[(r + 1) % n];
            return SharedMemoryRing.ConnectAsync(r, n, fallback[r], offers[r], new ShmAddress(right.Path, right.Nonce), attach?.Invoke(r) ?? true, required, TimeSpan.FromSeconds(20), SharedMemoryRing.DefaultSpin, _ => { }, CancellationToken.None);
        })));
        return (transports, offers);
    }
}
