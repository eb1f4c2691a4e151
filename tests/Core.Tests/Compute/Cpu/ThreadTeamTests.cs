using Distributed.Core.Compute.Cpu;

namespace Distributed.Core.Tests.Compute.Cpu;

public sealed class ThreadTeamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EveryTaskRunsExactlyOnceInEveryRegion(int threads)
    {
        var team = new ThreadTeam(threads);
        var counts = new CountingWork(64);
        for (var region = 0; region < 2000; region++)
        {
            var tasks = 1 + (region % 64);
            counts.Reset();
            team.Run(counts, tasks);
            for (var t = 0; t < 64; t++)
            {
                Assert.Equal(t < tasks ? 1 : 0, counts.Runs[t]);
            }
        }
    }

    [Fact]
    public void ATaskFailureReachesTheCallerAfterTheRegionEnds()
    {
        var team = new ThreadTeam(3);
        var work = new FailingWork(failAt: 5);

        var ex = Assert.Throws<InvalidOperationException>(() => team.Run(work, 8));

        Assert.Equal("task 5 failed", ex.Message);
        Assert.Equal(8, work.Finished);

        // The team is usable afterwards.
        var counts = new CountingWork(8);
        team.Run(counts, 8);
        Assert.All(counts.Runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void ARegionAfterTheHelpersWentIdleRunsEveryTask()
    {
        var team = new ThreadTeam(2);
        var counts = new CountingWork(4);
        team.Run(counts, 4);
        Thread.Sleep(TimeSpan.FromSeconds(2.5));
        counts.Reset();

        team.Run(counts, 4);

        Assert.All(counts.Runs, r => Assert.Equal(1, r));
    }

    private sealed class CountingWork(int capacity) : IParallelWork
    {
        public int[] Runs { get; } = new int[capacity];

        public void Reset() => Array.Clear(Runs);

        public void Execute(int task) => Interlocked.Increment(ref Runs[task]);
    }

    private sealed class FailingWork(int failAt) : IParallelWork
    {
        private int _finished;

        public int Finished => _finished;

        public void Execute(int task)
        {
            Interlocked.Increment(ref _finished);
            if (task == failAt)
            {
                throw new InvalidOperationException($"task {task} failed");
            }
        }
    }
}
