using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Distributed.Core.Collectives.SharedMemory;

/// <summary>
/// A one-way, single-producer single-consumer queue of ring chunks in a <see cref="ShmSegment"/>: records laid end to
/// end in a circular byte buffer, each a 48-byte header and its payload, never split across the end (a wrap marker
/// skips the tail instead). The write and read positions only grow, each owned by one side and published with
/// release/acquire ordering. A side with nothing to do spins for a while (how long: <see cref="SharedMemoryRing"/>),
/// then sleeps on a futex word the other side bumps after each publish, so a rank that waits long costs no CPU. Both
/// ranks of a link map the same bytes; which side a process plays is chosen when it wraps the segment.
/// </summary>
internal sealed unsafe class ShmChannel
{
    public const int HeaderBytes = 48;

    /// <summary>Where the bytes begin; the first 256 hold the magic, nonce, positions and futex words, each group on its own cache line.</summary>
    public const int DataOffset = 256;

    private const int WritePosition = 64;
    private const int WriteSignal = 72;
    private const int ReaderSleeping = 76;
    private const int ReadPosition = 128;
    private const int ReadSignal = 136;
    private const int WriterSleeping = 140;
    private const int StateOffset = 192;
    private const int ChunkRecord = 1;
    private const int WrapRecord = 2;

    private static readonly TimeSpan SleepSlice = TimeSpan.FromMilliseconds(20);

    private readonly ShmSegment _segment;
    private readonly byte* _data;
    private readonly long _mask;
    private readonly long _spinTicks;
    private long _position;
    private int _pendingRelease;
    private volatile bool _ownerComputing;
    private int _computeEnds;

    /// <param name="spin">How long a side with nothing to do spins before it sleeps (<see cref="SharedMemoryRing.DefaultSpin"/> unless told).</param>
    public ShmChannel(ShmSegment segment, TimeSpan? spin = null)
    {
        _spinTicks = (long)((spin ?? SharedMemoryRing.DefaultSpin).TotalSeconds * Stopwatch.Frequency);
        _segment = segment;
        Capacity = segment.Length - DataOffset;
        if (Capacity <= 0 || (Capacity & (Capacity - 1)) != 0)
        {
            throw new ArgumentException($"a ring segment needs a power-of-two data area, got {Capacity} bytes");
        }

        _data = segment.Base + DataOffset;
        _mask = Capacity - 1;
    }

    /// <summary>The state of the link, in the segment: the sender sets Attached once it has mapped it.</summary>
    public enum LinkState
    {
        Offered = 0,
        Attached = 1,
        Closed = 2,
    }

    public long Capacity { get; }

    /// <summary>The data area as <see cref="Memory{T}"/> (made once; slices of it need no allocation).</summary>
    public Memory<byte> DataMemory() => new MappedRegion(_data, checked((int)Capacity)).Memory;

    public LinkState State => (LinkState)Volatile.Read(ref *Int(StateOffset));

    /// <summary>The segment size that holds <paramref name="chunkBytes"/>-byte chunks several at a time.</summary>
    public static long SegmentBytesFor(int chunkBytes) => DataOffset + (long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(8L << 20, 8L * (chunkBytes + HeaderBytes)));

    public void SetState(LinkState state)
    {
        Volatile.Write(ref *Int(StateOffset), (int)state);
        Interlocked.Increment(ref *Int(WriteSignal));
        Interlocked.Increment(ref *Int(ReadSignal));
        Futex.WakeAll(Int(WriteSignal));
        Futex.WakeAll(Int(ReadSignal));
    }

    /// <summary>Writer: appends one chunk if it fits now; false when the reader has not made room yet.</summary>
    public bool TryWrite(in ChunkHeader header, ReadOnlySpan<byte> payload)
    {
        var need = RecordBytes(payload.Length);
        if (need > Capacity / 2)
        {
            throw new ArgumentException($"a {payload.Length}-byte chunk does not fit a {Capacity}-byte ring segment");
        }

        var write = _position;
        var offset = write & _mask;
        var toEnd = Capacity - offset;
        var total = need <= toEnd ? need : toEnd + need;
        if (Capacity - (write - Volatile.Read(ref *Long(ReadPosition))) < total)
        {
            return false;
        }

        if (need > toEnd)
        {
            *(int*)(_data + offset + 4) = WrapRecord;
            write += toEnd;
            offset = 0;
        }

        var record = _data + offset;
        *(int*)record = payload.Length;
        *(int*)(record + 4) = ChunkRecord;
        *(long*)(record + 8) = header.Sequence;
        *(long*)(record + 16) = header.Step;
        *(int*)(record + 24) = header.Bucket;
        *(int*)(record + 28) = (int)header.Phase;
        *(int*)(record + 32) = header.RingStep;
        *(int*)(record + 36) = header.Chunk;
        *(int*)(record + 40) = header.Length;
        payload.CopyTo(new Span<byte>(record + HeaderBytes, payload.Length));
        _position = write + need;
        Volatile.Write(ref *Long(WritePosition), _position);
        Signal(WriteSignal, ReaderSleeping);
        return true;
    }

    /// <summary>
    /// Reader: the next chunk's header and where its payload lies in <see cref="Data"/>, if one has arrived; the
    /// record stays in place (the payload is read where it lies) until <see cref="Release"/>.
    /// </summary>
    public bool TryRead(out ChunkHeader header, out int payloadOffset, out int payloadBytes)
    {
        Release();
        var read = _position;
        var written = Volatile.Read(ref *Long(WritePosition));
        while (written - read > 0)
        {
            var offset = read & _mask;
            var record = _data + offset;
            if (*(int*)(record + 4) == WrapRecord)
            {
                read += Capacity - offset;
                continue;
            }

            payloadBytes = *(int*)record;
            header = new ChunkHeader(*(long*)(record + 8), *(long*)(record + 16), *(int*)(record + 24), (CollectivePhase)(*(int*)(record + 28)),
                *(int*)(record + 32), *(int*)(record + 36), *(int*)(record + 40));
            payloadOffset = (int)offset + HeaderBytes;
            _position = read;
            _pendingRelease = RecordBytes(payloadBytes);
            return true;
        }

        _position = read;
        header = default;
        payloadOffset = 0;
        payloadBytes = 0;
        return false;
    }

    /// <summary>Reader: gives the last record's bytes back to the writer.</summary>
    public void Release()
    {
        if (_pendingRelease == 0)
        {
            return;
        }

        _position += _pendingRelease;
        _pendingRelease = 0;
        Volatile.Write(ref *Long(ReadPosition), _position);
        Signal(ReadSignal, WriterSleeping);
    }

    /// <summary>Reader: blocks until a record may have arrived, the link closed, or <paramref name="cancel"/> fires.</summary>
    public void WaitForData(CancellationToken cancel) => Wait(forData: true, 0, cancel);

    /// <summary>Writer: where the reader had released up to; read it before a <see cref="TryWrite"/> that may fail, and wait from it.</summary>
    public long ReleasedUpTo => Volatile.Read(ref *Long(ReadPosition));

    /// <summary>
    /// Writer: blocks until the reader has released more than <paramref name="releasedBefore"/> (read before the
    /// failed <see cref="TryWrite"/>, so a release in between is not missed), the link closed, or <paramref name="cancel"/> fires.
    /// </summary>
    public void WaitForRoom(long releasedBefore, CancellationToken cancel) => Wait(forData: false, releasedBefore, cancel);

    private static int RecordBytes(int payloadBytes) => HeaderBytes + ((payloadBytes + 15) & ~15);

    private void Signal(int signal, int sleeping)
    {
        Interlocked.Increment(ref *Int(signal));
        if (Volatile.Read(ref *Int(sleeping)) != 0)
        {
            Futex.WakeAll(Int(signal));
        }
    }

    /// <summary>Whether the reading side is asleep on the futex at this moment, rather than spinning or working.</summary>
    public bool ReaderAsleep => Volatile.Read(ref *Int(ReaderSleeping)) != 0;

    /// <summary>The reader waits for the write position to move past its own; the writer for the read position to move from <paramref name="readBefore"/>.</summary>
    private bool Ready(bool forData, long readBefore) =>
        State == LinkState.Closed || (forData ? Volatile.Read(ref *Long(WritePosition)) != _position : Volatile.Read(ref *Long(ReadPosition)) != readBefore);

    /// <summary>
    /// Tells the reading side whether its own rank's compute thread is running. A receive launched while it runs
    /// (a bucket reduced during backward) shares the rank's core with it, so it sleeps on the futex instead of
    /// spinning: spinning there, even yielding, made two bound cnn workers' forward and backward a third slower (66
    /// ms against 47–50 ms for 64 samples). When the compute ends, a sleeping receive is woken to spin once more,
    /// since then nothing else wants the core and waking from a sleep costs more than the exchange.
    /// </summary>
    public void OwnerComputing(bool computing)
    {
        _ownerComputing = computing;
        if (!computing)
        {
            // Counted, and the word bumped, not only woken: a receive about to sleep sees either and spins instead.
            Interlocked.Increment(ref _computeEnds);
            Interlocked.Increment(ref *Int(WriteSignal));
            if (Volatile.Read(ref *Int(ReaderSleeping)) != 0)
            {
                Futex.WakeAll(Int(WriteSignal));
            }
        }
    }

    private void Wait(bool forData, long readBefore, CancellationToken cancel)
    {
        var signal = forData ? WriteSignal : ReadSignal;
        var sleeping = forData ? ReaderSleeping : WriterSleeping;
        var computeEnds = Volatile.Read(ref _computeEnds);
        var maySpin = true;
        while (true)
        {
            // Spin first, and again only after the rank's compute ended, never while it runs (the writer's side is
            // never told it runs); otherwise sleep until the other side publishes.
            if (maySpin && !_ownerComputing)
            {
                var spinUntil = Stopwatch.GetTimestamp() + _spinTicks;
                var spin = new SpinWait();
                while (Stopwatch.GetTimestamp() < spinUntil && !_ownerComputing)
                {
                    if (Ready(forData, readBefore))
                    {
                        return;
                    }

                    spin.SpinOnce(sleep1Threshold: -1);
                }
            }

            cancel.ThrowIfCancellationRequested();
            var seen = Volatile.Read(ref *Int(signal));
            Interlocked.Exchange(ref *Int(sleeping), 1);
            if (Ready(forData, readBefore))
            {
                Volatile.Write(ref *Int(sleeping), 0);
                return;
            }

            if (Volatile.Read(ref _computeEnds) == computeEnds)
            {
                Futex.WaitWhile(Int(signal), seen, SleepSlice);
            }

            Volatile.Write(ref *Int(sleeping), 0);
            if (Ready(forData, readBefore))
            {
                return;
            }

            var ends = Volatile.Read(ref _computeEnds);
            maySpin = ends != computeEnds;
            computeEnds = ends;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int* Int(int offset) => (int*)(_segment.Base + offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long* Long(int offset) => (long*)(_segment.Base + offset);
}
