using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Tests.Jobs.Fakes;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Tests.Jobs;

/// <summary>The coordinator's sessions over in-memory streams: admission, the event queue a driver reads, and every way a job fails.</summary>
public class JobCoordinatorTests
{
    /// <summary>What a test driver waits for when the failure text is not the point.</summary>
    private static readonly Awaited Anything = new(0, "the next message");

    private static readonly WorkerMessage Heartbeat = new() { Heartbeat = new Heartbeat() };

    [Fact]
    public async Task ASessionMustStartWithAJoin()
    {
        var job = new JobCoordinator(FakeCluster.Plan(2));
        await using var talker = FakeWorker.Open(job, Heartbeat);
        await using var silent = FakeWorker.Open(job, null);
        silent.Close();

        foreach (var worker in new[] { talker, silent })
        {
            var error = await Assert.ThrowsAsync<RpcException>(() => worker.Session);
            Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
            Assert.Equal("a session must start with a join request", error.Status.Detail);
        }

        Assert.Equal(0, job.Rendezvous.JoinedCount);
    }

    [Fact]
    public async Task TheWelcomeCarriesRankWorldSizeAndTheRingInRankOrder()
    {
        var plan = FakeCluster.Plan(2) with { SendSpans = true, WaitReport = TimeSpan.FromSeconds(1.5) };
        var job = new JobCoordinator(plan);
        await using var first = FakeWorker.Join(job, -1, "first:7000");
        await using var second = FakeWorker.Join(job, 0, "second:7000");

        var welcomes = new[] { (await first.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Welcome)).Welcome, (await second.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Welcome)).Welcome };

        Assert.Equal([1, 0], welcomes.Select(w => w.Rank));
        Assert.All(welcomes, w =>
        {
            Assert.Equal(2, w.WorldSize);
            Assert.Equal(["second:7000", "first:7000"], w.Ring.ToArray());
            Assert.True(w.SendSpans);
            Assert.Equal(1.5, w.WaitReportSeconds);
        });
    }

    [Fact]
    public async Task AWorkerThatLeavesBeforeTheJobIsCompleteFreesItsPlace()
    {
        var job = new JobCoordinator(FakeCluster.Plan(2));
        var leaving = FakeWorker.Join(job, 1);
        await leaving.DisposeAsync();
        Assert.Equal(0, job.Rendezvous.JoinedCount);

        await using var zero = FakeWorker.Join(job, 0);
        await using var one = FakeWorker.Join(job, 1);

        Assert.Equal(2, (await job.WaitForWorkersAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task TooFewWorkersWithinTheJoinTimeoutFailTheJob()
    {
        var job = new JobCoordinator(FakeCluster.Plan(2) with { JoinTimeout = TimeSpan.FromMilliseconds(50) });
        await using var only = FakeWorker.Join(job);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => job.WaitForWorkersAsync(CancellationToken.None));

        Assert.Equal("only 1 of 2 workers joined within 0 s", error.Message);
    }

    [Fact]
    public async Task NextReturnsEachRanksMessagesInOrderAndHidesHeartbeats()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2));
        cluster[1].Send(Heartbeat);
        cluster[1].Send(new WorkerMessage { Ready = new Ready { ParameterChecksum = 1 } });
        cluster[1].Send(Heartbeat);
        cluster[1].Send(new WorkerMessage { StepDone = new StepDone { Step = 1 } });

        var first = await cluster.Job.NextAsync(Anything, CancellationToken.None);
        var second = await cluster.Job.NextAsync(Anything, CancellationToken.None);

        Assert.Equal((1, WorkerMessage.BodyOneofCase.Ready), (first.Rank, first.Message.BodyCase));
        Assert.Equal((1, WorkerMessage.BodyOneofCase.StepDone), (second.Rank, second.Message.BodyCase));
        await AssertNothingNextAsync(cluster.Job);
    }

    [Fact]
    public async Task AnObserverHearsEverythingAndKeepsWhatItClaimsFromTheDriver()
    {
        var observer = new RecordingObserver(m => m.BodyCase == WorkerMessage.BodyOneofCase.Spans);
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(1), observer);
        cluster[0].Send(Heartbeat);
        cluster[0].Send(new WorkerMessage { Spans = new SpanBatch() });
        cluster[0].Send(new WorkerMessage { Ready = new Ready() });

        var next = await cluster.Job.NextAsync(Anything, CancellationToken.None);

        Assert.Equal(WorkerMessage.BodyOneofCase.Ready, next.Message.BodyCase);
        Assert.Equal([WorkerMessage.BodyOneofCase.Heartbeat, WorkerMessage.BodyOneofCase.Spans, WorkerMessage.BodyOneofCase.Ready], observer.Heard.Select(h => h.Message.BodyCase));
    }

    [Fact]
    public async Task ALostSessionFailsTheJobNamingTheRankTheStepAndWhatWasAwaited()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(3));
        var awaited = new Awaited(7, "every rank's report of step 7");

        cluster[2].Disconnect();

        var error = await Assert.ThrowsAsync<JobFailedException>(() => cluster.Job.NextAsync(awaited, CancellationToken.None));
        Assert.Equal("rank 2 lost its connection (IOException: connection reset by peer) at step 7 while the coordinator awaited every rank's report of step 7", error.Message);
    }

    [Fact]
    public async Task ASessionClosedBeforeFinishingFailsTheJob()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2));

        cluster[0].Close();

        var error = await Assert.ThrowsAsync<JobFailedException>(() => cluster.Job.NextAsync(Anything, CancellationToken.None));
        Assert.StartsWith("rank 0 closed its session at step 0", error.Message);
    }

    [Fact]
    public async Task AWorkerSilentPastThePeerTimeoutFailsTheJob()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2) with { PeerTimeout = TimeSpan.FromMilliseconds(300) });
        using var stop = new CancellationTokenSource();
        var beating = HeartbeatAsync(cluster[0], stop.Token);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => cluster.Job.NextAsync(Anything, CancellationToken.None));

        await stop.CancelAsync();
        await beating;
        Assert.StartsWith("rank 1 stopped answering (nothing for ", error.Message);
    }

    [Fact]
    public async Task AFailureReportBlamesTheRankThatWentAwayNotTheReporter()
    {
        // Rank 2's ring read from rank 1 broke; rank 1's own lost connection reaches the coordinator just after.
        var observer = new RecordingObserver(_ => false);
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(3), observer);
        var awaited = new Awaited(4, "every rank's report of step 4");
        cluster[2].Send(new WorkerMessage { Failed = new WorkerFailed { Message = "rank 2: the ring stream from rank 1 broke" } });

        // A heartbeat after the report: once the observer hears it, the report is queued ahead of the loss.
        cluster[2].Send(Heartbeat);
        await observer.HeardAsync(2, WorkerMessage.BodyOneofCase.Heartbeat);
        cluster.Job.ReportProcessExit(1, 137);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => cluster.Job.NextAsync(awaited, CancellationToken.None));
        Assert.Equal("rank 1 its process exited with code 137 at step 4 while the coordinator awaited every rank's report of step 4; the other ranks reported: rank 2: the ring stream from rank 1 broke", error.Message);
    }

    [Fact]
    public async Task AFailureReportWithNoOtherSuspectFailsWithTheReport()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2));
        var awaited = new Awaited(3, "every rank's report of step 3");

        // Rank 1 stays audibly alive: on a loaded machine the diagnosis window could otherwise outlast its silence limit.
        using var stop = new CancellationTokenSource();
        var beating = HeartbeatAsync(cluster[1], stop.Token);
        cluster[0].Send(new WorkerMessage { Failed = new WorkerFailed { Message = "rank 0: training diverged" } });

        var error = await Assert.ThrowsAsync<JobFailedException>(() => cluster.Job.NextAsync(awaited, CancellationToken.None));
        await stop.CancelAsync();
        await beating;
        Assert.Equal("rank 0: training diverged (step 3)", error.Message);
    }

    [Fact]
    public async Task AWorkerProcessThatExitsBeforeJoiningEndsTheWaitAtOnce()
    {
        var job = new JobCoordinator(FakeCluster.Plan(2, p => p with { JoinTimeout = TimeSpan.FromHours(1) }));

        job.ReportProcessExit(1, 2, "error: --device cuda: ILGPU found no CUDA device");

        // Waiting out the hour-long join timeout would fail here, after 30 s.
        var error = await Assert.ThrowsAsync<JobFailedException>(() => job.WaitForWorkersAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("the worker process for rank 1 exited with code 2 before the job started: --device cuda: ILGPU found no CUDA device", error.Message);
        Assert.False(error.RankLost);
    }

    [Fact]
    public async Task AfterARestartTheJobGoesOnWithTheWorkersThatCameBackAsASmallerWorld()
    {
        var job = new JobCoordinator(FakeCluster.Plan(3, p => p with { Rejoin = new RejoinPolicy(2, TimeSpan.FromMilliseconds(50), 3) }));
        await using var zero = FakeWorker.Join(job, 0, "zero:7000");
        await using var two = FakeWorker.Join(job, 2, "two:7000");

        var ranks = await job.WaitForWorkersAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, ranks.Count);
        Assert.Equal(2, job.Plan.WorldSize);
        var welcomes = new[] { (await zero.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Welcome)).Welcome, (await two.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Welcome)).Welcome };
        Assert.Equal([(0, 2), (1, 2)], welcomes.Select(w => (w.Rank, w.WorldSize)));
        Assert.All(welcomes, w => Assert.Equal(["zero:7000", "two:7000"], w.Ring.ToArray()));
    }

    [Fact]
    public async Task AfterARestartTooFewWorkersWithinTheJoinTimeoutFailNamingTheMinimum()
    {
        var job = new JobCoordinator(FakeCluster.Plan(3, p => p with { JoinTimeout = TimeSpan.FromMilliseconds(200), Rejoin = new RejoinPolicy(2, TimeSpan.FromMilliseconds(10), 3) }));
        await using var only = FakeWorker.Join(job, 1);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => job.WaitForWorkersAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("only 1 of 3 workers rejoined within 0 s (--join-timeout); the job needs at least 2 (--min-workers)", error.Message);
        Assert.False(error.RankLost);
    }

    [Fact]
    public async Task AfterARestartAProcessThatExitsBeforeRejoiningIsLeftOutAtOnceWhenTheJobCanDoWithoutIt()
    {
        var job = new JobCoordinator(FakeCluster.Plan(3, p => p with { JoinTimeout = TimeSpan.FromHours(1), Rejoin = new RejoinPolicy(2, TimeSpan.FromHours(1), 3) }));
        await using var zero = FakeWorker.Join(job, 0);
        await using var two = FakeWorker.Join(job, 2);

        job.ReportProcessExit(1, 137);

        // Waiting out either hour would fail here, after 30 s.
        var ranks = await job.WaitForWorkersAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([0, 2], ranks.Select(s => s.Join.RequestedRank));
        Assert.Equal("rank 1 did not rejoin (its process exited with code 137); going on with 2 of 3 workers (--min-workers 2)", job.Rendezvous.Shortfall);

        // Once the job runs, the launcher's rank 2 is the job's rank 1.
        job.ReportProcessExit(2, 139);
        var error = await Assert.ThrowsAsync<JobFailedException>(() => job.NextAsync(Anything, CancellationToken.None));
        Assert.StartsWith("rank 1 its process exited with code 139", error.Message);
        Assert.True(error.RankLost);
    }

    [Fact]
    public async Task AfterARestartAProcessThatExitsBeforeRejoiningFailsTheJobAtOnceWhenTooFewAreLeft()
    {
        var job = new JobCoordinator(FakeCluster.Plan(2, p => p with { JoinTimeout = TimeSpan.FromHours(1), Rejoin = new RejoinPolicy(2, TimeSpan.FromHours(1), 2) }));
        await using var zero = FakeWorker.Join(job, 0);

        job.ReportProcessExit(1, 137, "error: out of memory");

        var error = await Assert.ThrowsAsync<JobFailedException>(() => job.WaitForWorkersAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("the worker process for rank 1 exited with code 137 before it rejoined: out of memory; too few workers are left for --min-workers 2", error.Message);
        Assert.False(error.RankLost);
    }

    [Fact]
    public async Task ProcessExitNamesTheRank()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2));

        cluster.Job.ReportProcessExit(1, 139);

        var error = await Assert.ThrowsAsync<JobFailedException>(() => cluster.Job.NextAsync(Anything, CancellationToken.None));
        Assert.StartsWith("rank 1 its process exited with code 139 at step 0", error.Message);
    }

    [Fact]
    public async Task FinishedRanksClosingTheirSessionsAreNotFailures()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2));
        foreach (var worker in cluster.Workers)
        {
            worker.Send(new WorkerMessage { Finished = new Finished() });
            worker.Close();
        }

        var finished = new[] { await cluster.Job.NextAsync(Anything, CancellationToken.None), await cluster.Job.NextAsync(Anything, CancellationToken.None) };

        Assert.Equal([0, 1], finished.Select(f => f.Rank).Order());
        Assert.All(finished, f => Assert.Equal(WorkerMessage.BodyOneofCase.Finished, f.Message.BodyCase));
        Assert.All(cluster.Job.Ranks, r => Assert.True(r.Finished));
        await AssertNothingNextAsync(cluster.Job);
    }

    [Fact]
    public async Task BroadcastReachesEveryRankInOrder()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(3));

        cluster.Job.Broadcast(new CoordinatorMessage { Start = new Start() });
        cluster.Job.Broadcast(new CoordinatorMessage { Finish = new Finish() });

        foreach (var worker in cluster.Workers)
        {
            await worker.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Start);
            await worker.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Finish);
        }
    }

    [Fact]
    public async Task EndWithAReasonAbortsEverySessionAndTheSessionsCloseWhenTheWorkersDo()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(3));

        cluster.Job.End("rank 1 stopped answering");

        foreach (var worker in cluster.Workers)
        {
            var abort = await worker.ReceiveAsync(CoordinatorMessage.BodyOneofCase.Abort);
            Assert.Equal("rank 1 stopped answering", abort.Abort.Reason);
            worker.Close();
            await worker.Session.WaitAsync(ChannelStreamWriter<CoordinatorMessage>.ReadTimeout);
            Assert.Empty(worker.Unread());
        }
    }

    [Fact]
    public async Task EndWithoutAReasonSendsNothingMore()
    {
        await using var cluster = await FakeCluster.StartAsync(FakeCluster.Plan(2));

        cluster.Job.End(null);

        foreach (var worker in cluster.Workers)
        {
            worker.Close();
            await worker.Session.WaitAsync(ChannelStreamWriter<CoordinatorMessage>.ReadTimeout);
            Assert.Empty(worker.Unread());
        }
    }

    private static async Task AssertNothingNextAsync(JobCoordinator job)
    {
        using var shortly = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => job.NextAsync(Anything, shortly.Token));
    }

    /// <summary>A live worker's heartbeat (faster than a real one's, to stay inside a short peer timeout).</summary>
    /// <summary>
    /// Heartbeats every 20 ms on a thread of its own: on a loaded test run a timer's continuation on the pool once
    /// came a second late, past the 300 ms peer timeout, and the beating rank was blamed for silence.
    /// </summary>
    private static Task HeartbeatAsync(FakeWorker worker, CancellationToken stop) => Task.Factory.StartNew(
        () =>
        {
            while (!stop.IsCancellationRequested)
            {
                worker.Send(Heartbeat);
                stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(20));
            }
        },
        CancellationToken.None,
        TaskCreationOptions.LongRunning,
        TaskScheduler.Default);
}
