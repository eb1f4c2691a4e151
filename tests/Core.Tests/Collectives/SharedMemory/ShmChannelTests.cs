using System.Diagnostics;
using Distributed.Core.Collectives;
using Distributed.Core.Collectives.SharedMemory;

namespace Distributed.Core.Tests.Collectives.SharedMemory;

/// <summary>The shared-memory queue on its own: a writer and a reader thread over one real segment, byte for byte.</summary>
public class ShmChannelTests
{
    /// <summary>
    /// Records of many sizes, with the reader sometimes keeping up and sometimes falling behind, so that the queue
    /// both empties and fills, and wraps at the end many times: every record arrives once, in order, with its own
    /// bytes, and a writer waiting for room from the position it saw before its failed try is always woken; also
    /// with the reader spinning as long as a rank on a core of its own does.
    /// </summary>
    [Theory]
    [InlineData(1, 0, false)]
    [InlineData(7, 1, false)]
    [InlineData(64, 2, false)]
    [InlineData(7, 1, true)]
    public async Task EveryRecordArrivesOnceInOrderWhetherTheReaderKeepsUpOrFallsBehind(int seed, int readerPace, bool readerOwnsCore)
    {
        const int Records = 4000;
        using var segment = ShmSegment.Create(ShmChannel.DataOffset + (1 << 20));
        var writer = new ShmChannel(segment);
        var reader = new ShmChannel(segment, readerOwnsCore ? SharedMemoryRing.OwnCoreSpin : SharedMemoryRing.DefaultSpin);
        var sizes = Enumerable.Range(0, Records).Select(i => 4 * (1 + (i * 7919 % 40_000))).ToArray();
        new Random(seed).Shuffle(sizes);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var write = Task.Factory.StartNew(() =>
        {
            var buffer = new byte[sizes.Max()];
            for (var i = 0; i < Records; i++)
            {
                var payload = buffer.AsSpan(0, sizes[i]);
                payload.Fill((byte)i);
                var header = new ChunkHeader(i, i, 0, CollectivePhase.ReduceScatter, 0, 0, sizes[i] / 4);
                while (writer.ReleasedUpTo is var released && !writer.TryWrite(header, payload))
                {
                    writer.WaitForRoom(released, cancel.Token);
                }
            }
        }, TaskCreationOptions.LongRunning);

        var pace = new Random(seed + 1);
        for (var i = 0; i < Records; i++)
        {
            int offset, length;
            ChunkHeader header;
            while (!reader.TryRead(out header, out offset, out length))
            {
                reader.WaitForData(cancel.Token);
            }

            Assert.Equal(i, header.Sequence);
            Assert.Equal(sizes[i], length);
            var payload = reader.DataMemory().Span.Slice(offset, length);
            Assert.True(payload.IndexOfAnyExcept((byte)i) < 0, $"record {i} holds bytes of another record");
            if (readerPace > 0 && pace.Next(4) == 0)
            {
                Thread.Sleep(readerPace);
            }
        }

        reader.Release();
        await write.WaitAsync(cancel.Token);
    }

    /// <summary>
    /// A receive that waits while its own rank computes must leave the core to the compute: with a spin far longer
    /// than the wait, it burns almost no CPU while told the rank is computing (less CPU is all a loaded machine can
    /// make of it, so the bound holds under load); once told the compute ended it is woken and spins, never going
    /// back to sleep while its spin lasts; either way the record arrives.
    /// </summary>
    [Fact]
    public async Task AReceiveSleepsWhileItsRankComputesAndSpinsAgainOnceTheComputeEnds()
    {
        using var segment = ShmSegment.Create(ShmChannel.DataOffset + (1 << 16));
        var writer = new ShmChannel(segment);
        var reader = new ShmChannel(segment, TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new ChunkHeader(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1);

        Task<double> Receive() => Task.Factory.StartNew(() =>
        {
            var before = ThreadCpuMilliseconds();
            while (!reader.TryRead(out _, out _, out _))
            {
                reader.WaitForData(cancel.Token);
            }

            reader.Release();
            return ThreadCpuMilliseconds() - before;
        }, TaskCreationOptions.LongRunning);

        reader.OwnerComputing(true);
        var whileComputing = Receive();
        await Task.Delay(500);
        Assert.False(whileComputing.IsCompleted, "the receive returned with nothing written");
        Assert.True(writer.TryWrite(header, new byte[4]));
        var cpu = await whileComputing.WaitAsync(cancel.Token);
        Assert.True(cpu < 150, $"the receive used {cpu} ms of CPU in 500 ms while its rank computed");

        var afterCompute = Receive();
        try
        {
            var started = Stopwatch.StartNew();
            while (!reader.ReaderAsleep)
            {
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), "the receive never went to sleep while its rank computed");
                await Task.Delay(5);
            }

            reader.OwnerComputing(false);
            var awake = Stopwatch.StartNew();
            while (reader.ReaderAsleep)
            {
                Assert.True(awake.Elapsed < TimeSpan.FromSeconds(10), "the receive was not woken when the compute ended");
                await Task.Delay(1);
            }

            for (var i = 0; i < 100; i++)
            {
                Assert.False(reader.ReaderAsleep, $"the receive went back to sleep {i * 3} ms after the compute ended, inside its spin");
                await Task.Delay(3);
            }
        }
        finally
        {
            // Whatever failed, the receive gets its record and ends before the segment is unmapped under it.
            Assert.True(writer.TryWrite(header, new byte[4]));
            await afterCompute.WaitAsync(cancel.Token);
        }
    }

    /// <summary>CPU time of the calling thread (user + system), from /proc, in 10 ms ticks.</summary>
    private static double ThreadCpuMilliseconds()
    {
        var fields = File.ReadAllText("/proc/thread-self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) * 10.0;
    }
}
