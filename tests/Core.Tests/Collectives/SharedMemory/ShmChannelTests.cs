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
    /// than the wait, it still burns almost no CPU while told the rank is computing; once told the compute ended it
    /// spins again (burns CPU until the record comes); either way the record arrives.
    /// </summary>
    [Fact]
    public async Task AReceiveSleepsWhileItsRankComputesAndSpinsAgainOnceTheComputeEnds()
    {
        using var segment = ShmSegment.Create(ShmChannel.DataOffset + (1 << 16));
        var writer = new ShmChannel(segment);
        var reader = new ShmChannel(segment, TimeSpan.FromSeconds(30));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var header = new ChunkHeader(0, 0, 0, CollectivePhase.ReduceScatter, 0, 0, 1);

        async Task<double> WaitedCpuMilliseconds(Func<Task> meanwhile)
        {
            var receive = Task.Factory.StartNew(() =>
            {
                var before = ThreadCpuMilliseconds();
                while (!reader.TryRead(out _, out _, out _))
                {
                    reader.WaitForData(cancel.Token);
                }

                reader.Release();
                return ThreadCpuMilliseconds() - before;
            }, TaskCreationOptions.LongRunning);
            await meanwhile();
            Assert.True(writer.TryWrite(header, new byte[4]));
            return await receive.WaitAsync(cancel.Token);
        }

        reader.OwnerComputing(true);
        var whileComputing = await WaitedCpuMilliseconds(() => Task.Delay(500));
        Assert.True(whileComputing < 150, $"the receive used {whileComputing} ms of CPU in 500 ms while its rank computed");

        var afterCompute = await WaitedCpuMilliseconds(async () =>
        {
            await Task.Delay(100);
            reader.OwnerComputing(false);
            await Task.Delay(500);
        });
        Assert.True(afterCompute > 50, $"the receive used only {afterCompute} ms of CPU in the 500 ms after the compute ended: it did not spin");
    }

    /// <summary>CPU time of the calling thread (user + system), from /proc, in 10 ms ticks.</summary>
    private static double ThreadCpuMilliseconds()
    {
        var fields = File.ReadAllText("/proc/thread-self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) * 10.0;
    }
}
