namespace Distributed.Core.Collectives.SharedMemory;

/// <summary>
/// The segment a rank offers its left neighbour before the job starts: created before joining, so its path and
/// nonce can travel to the neighbour in the coordinator's welcome.
/// </summary>
public sealed class ShmOffer : IDisposable
{
    private ShmOffer(ShmSegment segment)
    {
        Segment = segment;
    }

    public string Path => Segment.Path;

    public byte[] Nonce => Segment.Nonce.ToArray();

    internal ShmSegment Segment { get; }

    /// <summary>A fresh segment sized for chunks of <paramref name="chunkFloats"/> floats (stale ones of dead processes are removed first).</summary>
    public static ShmOffer Create(int chunkFloats)
    {
        ShmSegment.RemoveStale();
        return new ShmOffer(ShmSegment.Create(ShmChannel.SegmentBytesFor(chunkFloats * sizeof(float))));
    }

    public void Dispose() => Segment.Dispose();
}

/// <summary>Where the left neighbour's segment is, as the welcome tells it (null when it offered none).</summary>
public sealed record ShmAddress(string Path, byte[] Nonce);

/// <summary>
/// Sets up a rank's ring links through shared memory where both ends can map the same segment, and through the
/// fallback (gRPC) where not, deciding each link with its neighbour rather than assuming it from an address: the
/// sender maps the receiver's offered segment and marks it attached, or, when it cannot, says so with a hello
/// chunk through the fallback; the receiver waits for one or the other.
/// </summary>
public static class SharedMemoryRing
{
    /// <summary>The one chunk that means "this link goes through the fallback": never part of a collective.</summary>
    public static readonly ChunkHeader Hello = new(-1, -1, -1, CollectivePhase.ReduceScatter, -1, -1, 0);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// How long a rank waiting for its neighbour spins before it sleeps on the futex, where ranks may share cores:
    /// long enough to catch a neighbour that is about to publish, short beside a step, so a rank that waits gives
    /// its core back to the others.
    /// </summary>
    public static readonly TimeSpan DefaultSpin = TimeSpan.FromMicroseconds(50);

    /// <summary>
    /// The spin of a rank bound to cores of its own (the local launcher's --cpu-bind auto), which nothing else of
    /// the job needs: longer than a step, as Open MPI and NCCL poll rather than sleep. A rank that sleeps leaves its
    /// vCPU idle, and waking it again cost more than the exchange itself here: two mlp workers under ZeRO 2 spent
    /// 0.20 ms per reduce-scatter after the later rank arrived with 50 µs of spin, 0.14 ms with 10 ms
    /// (`bench train --model mlp --threads 1 --steps 6000 --warmup 3000 --workers 2 --zero 2`, timestamps in the step).
    /// The spin yields the core to any other thread that wants it (SpinWait), so the control plane still runs, and
    /// a receive does not spin at all while its rank's forward and backward run (<see cref="ShmChannel.OwnerComputing"/>).
    /// </summary>
    public static readonly TimeSpan OwnCoreSpin = TimeSpan.FromMilliseconds(10);

    /// <param name="offer">The segment this rank offered its left neighbour (null: it offered none).</param>
    /// <param name="right">The segment the right neighbour offered (null: none).</param>
    /// <param name="attach">Whether this rank may send through shared memory at all (false under --transport grpc).</param>
    /// <param name="required">Whether a link that cannot be shared is an error (--transport shm) rather than a fallback.</param>
    /// <param name="spin">How long a receive spins before it sleeps: <see cref="DefaultSpin"/> or <see cref="OwnCoreSpin"/>.</param>
    public static async Task<ShmRingTransport> ConnectAsync(
        int rank, int worldSize, IRingTransport fallback, ShmOffer? offer, ShmAddress? right, bool attach, bool required, TimeSpan timeout, TimeSpan spin, Action<string> log, CancellationToken cancel)
    {
        var rightRank = (rank + 1) % worldSize;
        var leftRank = (rank + worldSize - 1) % worldSize;
        ShmSegment? outbound = null;
        if (right is not null)
        {
            var why = "this rank sends over gRPC (--transport grpc)";
            outbound = attach ? ShmSegment.TryOpen(right.Path, right.Nonce, out why) : null;
            if (outbound is null)
            {
                if (required)
                {
                    throw new RingLinkException($"rank {rank}: --transport shm, but rank {rightRank}'s segment cannot be shared: {why}");
                }

                log($"to rank {rightRank} over gRPC: {why}");
                fallback.Send(Hello, []);
            }
            else
            {
                new ShmChannel(outbound).SetState(ShmChannel.LinkState.Attached);
            }
        }
        else if (required)
        {
            throw new RingLinkException($"rank {rank}: --transport shm, but rank {rightRank} offered no shared-memory segment");
        }

        ShmSegment? inbound = null;
        if (offer is not null)
        {
            inbound = await AwaitSenderAsync(offer.Segment, fallback, timeout, cancel).ConfigureAwait(false) ? offer.Segment : null;
            if (inbound is null)
            {
                offer.Dispose();
                if (required)
                {
                    throw new RingLinkException($"rank {rank}: --transport shm, but rank {leftRank} sends over gRPC");
                }
            }
        }

        var waits = inbound is null ? "" : $"; a receive spins {(spin.TotalMilliseconds >= 1 ? $"{spin.TotalMilliseconds:0.#} ms" : $"{spin.TotalMicroseconds:0} µs")} before it sleeps";
        log($"ring links: to rank {rightRank} over {(outbound is null ? "gRPC" : "shared memory")}, from rank {leftRank} over {(inbound is null ? "gRPC" : "shared memory")}{waits}");
        return new ShmRingTransport(rank, worldSize, fallback, outbound, inbound, spin);
    }

    /// <summary>True when the left neighbour attached to the offered segment, false when it said hello through the fallback.</summary>
    private static async Task<bool> AwaitSenderAsync(ShmSegment segment, IRingTransport fallback, TimeSpan timeout, CancellationToken cancel)
    {
        var channel = new ShmChannel(segment);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        stop.CancelAfter(timeout);
        var hello = fallback.ReceiveAsync(stop.Token).AsTask();
        try
        {
            while (true)
            {
                if (channel.State == ShmChannel.LinkState.Attached)
                {
                    // Both ends have it mapped: the name is no longer needed, and nothing stays behind if they are killed.
                    segment.Unlink();
                    return true;
                }

                if (hello.IsCompleted)
                {
                    var chunk = await hello.ConfigureAwait(false);
                    return chunk.Header == Hello
                        ? false
                        : throw new RingProtocolException($"expected the left neighbour's hello or its attachment, got {chunk.Header}");
                }

                await Task.Delay(Poll, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            throw new PeerTimeoutException($"the left neighbour neither attached to the shared-memory segment nor said hello within {timeout.TotalSeconds:0.#} s");
        }
        finally
        {
            if (!hello.IsCompleted)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await hello.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or RingLinkException)
                {
                    // The receive that would have carried a hello, no longer wanted.
                }
            }
        }
    }
}
