using System.Diagnostics;
using System.Threading.Channels;
using Distributed.Protocol;
using Grpc.Core;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// The coordinator's side of a job: admits workers through the <see cref="Rendezvous"/>, keeps one session per
/// worker, and funnels everything the workers say into one event queue that a driver (<see cref="TrainingDriver"/>,
/// <see cref="BenchmarkDriver"/>) consumes in order. Any failure — a lost session, a silent worker, a worker's own
/// error report — fails the job: every worker is told to abort and the driver gets one message naming the rank,
/// the step and what was awaited.
/// </summary>
internal sealed class JobCoordinator
{
    private static readonly TimeSpan LivenessPoll = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a reported worker failure waits for the lost connection of the rank that probably caused it.</summary>
    private static readonly TimeSpan SymptomGrace = TimeSpan.FromSeconds(1);

    /// <summary>How often a restarted job's rendezvous checks whether the rejoin timeout has run out.</summary>
    private static readonly TimeSpan RejoinPoll = TimeSpan.FromMilliseconds(200);

    private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _exitedBeforeJoin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WorkerSession[] _ranks = [];

    public JobCoordinator(JobPlan plan, Liveness? liveness = null)
    {
        plan.Validate();
        Plan = plan;
        Rendezvous = new Rendezvous(plan);
        Liveness = liveness ?? new Liveness(plan.WorldSize);
        if (Liveness.WorldSize < plan.WorldSize)
        {
            // A job that shrank after a restart keeps the record of its first world; the rendezvous never grows one.
            throw new ArgumentException($"a liveness record for {Liveness.WorldSize} ranks cannot serve a job of {plan.WorldSize}");
        }
    }

    /// <summary>What the job is; once the workers are in, with the world size they make (fewer than planned after a shrink).</summary>
    public JobPlan Plan { get; private set; }

    public Rendezvous Rendezvous { get; }

    /// <summary>When each rank was last heard; the stall monitor reads the same record.</summary>
    public Liveness Liveness { get; }

    public IReadOnlyList<WorkerSession> Ranks => _ranks;

    /// <summary>Hears every worker message first (telemetry); set before the workers join.</summary>
    public IJobObserver? Observer { get; init; }

    /// <summary>One worker's session, from join to the end of the job.</summary>
    /// <param name="provenRank">the rank the session's proof covers (<see cref="CoordinatorService"/>); its join must ask for that one.</param>
    public async Task RunSessionAsync(IAsyncStreamReader<WorkerMessage> requests, IServerStreamWriter<CoordinatorMessage> responses, ServerCallContext context, int? provenRank = null)
    {
        var cancel = context.CancellationToken;
        if (!await requests.MoveNext(cancel).ConfigureAwait(false) || requests.Current.BodyCase != WorkerMessage.BodyOneofCase.Join)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "a session must start with a join request"));
        }

        if (provenRank is { } proven && requests.Current.Join.RequestedRank != proven)
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"the join asks for rank {requests.Current.Join.RequestedRank}, its proof was made for {proven}"));
        }

        var session = Rendezvous.Admit(requests.Current.Join);
        WorkerSession[] ranks;
        try
        {
            ranks = await Rendezvous.Complete.WaitAsync(cancel).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Rendezvous.Withdraw(session);
            throw;
        }

        if (Array.IndexOf(ranks, session) < 0)
        {
            // Its process was reported gone, and the job went on without it.
            throw new RpcException(new Status(StatusCode.Aborted, "the job went on without this worker"));
        }

        var welcome = new Welcome { Rank = session.Rank, WorldSize = ranks.Length, SendSpans = Plan.SendSpans, WaitReportSeconds = Plan.WaitReport.TotalSeconds };
        welcome.Ring.AddRange(ranks.Select(s => s.Join.Address));
        welcome.Shm.AddRange(ranks.Select(s => s.Join.Shm ?? new ShmOffer()));
        welcome.ResumeFrom = Plan.Resume?.Directory ?? "";
        Liveness.Heard(session.Rank);
        await responses.WriteAsync(new CoordinatorMessage { Welcome = welcome }, cancel).ConfigureAwait(false);

        var pump = PumpAsync(session, responses, cancel);
        try
        {
            while (await requests.MoveNext(cancel).ConfigureAwait(false))
            {
                Liveness.Heard(session.Rank);
                var message = requests.Current;
                if (message.BodyCase == WorkerMessage.BodyOneofCase.StepsDone)
                {
                    // Reports travel in batches; the driver and the observers take them one step at a time.
                    foreach (var done in message.StepsDone.Steps)
                    {
                        Accept(session.Rank, new WorkerMessage { StepDone = done });
                    }
                }
                else
                {
                    Accept(session.Rank, message);
                }
            }

            _events.Writer.TryWrite(new SessionEvent(session.Rank, null, "closed its session"));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or RpcException or InvalidOperationException)
        {
            _events.Writer.TryWrite(new SessionEvent(session.Rank, null, $"lost its connection ({ex.GetType().Name}: {ex.Message})"));
        }

        // Keep the response stream open until the job ends, so a late abort or finish still reaches the worker.
        await Task.WhenAny(_ended.Task, Task.Delay(Timeout.Infinite, cancel)).ConfigureAwait(false);
        session.Outbox.Writer.TryComplete();
        await pump.ConfigureAwait(false);
    }

    private void Accept(int rank, WorkerMessage message)
    {
        if (Observer?.Observe(rank, message) != true && message.BodyCase != WorkerMessage.BodyOneofCase.Heartbeat)
        {
            _events.Writer.TryWrite(new SessionEvent(rank, message, null));
        }
    }

    /// <summary>
    /// Waits until every worker has joined (after a restart, until the rendezvous closes, perhaps with fewer), then
    /// returns them by rank; a local worker that dies before joining ends the wait at once when the job cannot do
    /// without it.
    /// </summary>
    public async Task<IReadOnlyList<WorkerSession>> WaitForWorkersAsync(CancellationToken cancel)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Plan.JoinTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!Rendezvous.Complete.IsCompleted)
        {
            if (_exitedBeforeJoin.Task.IsCompleted)
            {
                throw new JobFailedException(await _exitedBeforeJoin.Task.ConfigureAwait(false));
            }

            var now = Stopwatch.GetTimestamp();
            if (now >= deadline)
            {
                throw new JobFailedException(Plan.Rejoin is null
                    ? $"only {Rendezvous.JoinedCount} of {Plan.WorldSize} workers joined within {Plan.JoinTimeout.TotalSeconds:0} s"
                    : $"only {Rendezvous.JoinedCount} of {Plan.WorldSize} workers rejoined within {Plan.JoinTimeout.TotalSeconds:0} s (--join-timeout); the job needs at least {Rendezvous.Minimum} (--min-workers)");
            }

            Rendezvous.CloseIfDue(now);
            var wait = Plan.Rejoin is null ? Stopwatch.GetElapsedTime(now, deadline) : TimeSpan.FromTicks(Math.Min(RejoinPoll.Ticks, Stopwatch.GetElapsedTime(now, deadline).Ticks));
            using (var pause = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                await Task.WhenAny(Rendezvous.Complete, _exitedBeforeJoin.Task, Task.Delay(wait, pause.Token)).ConfigureAwait(false);
                await pause.CancelAsync().ConfigureAwait(false);
            }

            cancel.ThrowIfCancellationRequested();
        }

        _ranks = await Rendezvous.Complete.ConfigureAwait(false);
        Plan = Plan with { WorldSize = _ranks.Length };
        return _ranks;
    }

    public void Broadcast(CoordinatorMessage message)
    {
        foreach (var s in _ranks)
        {
            s.Send(message);
        }
    }

    /// <summary>
    /// The next message from any rank. A lost session, a failure report or a worker silent past the peer timeout
    /// becomes a <see cref="JobFailedException"/>.
    /// </summary>
    public async Task<(int Rank, WorkerMessage Message)> NextAsync(Awaited awaited, CancellationToken cancel)
    {
        while (true)
        {
            SessionEvent e;
            using (var poll = CancellationTokenSource.CreateLinkedTokenSource(cancel))
            {
                poll.CancelAfter(LivenessPoll);
                try
                {
                    e = await _events.Reader.ReadAsync(poll.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
                {
                    CheckLiveness(awaited);
                    continue;
                }
            }

            if (e.Lost is { } lost)
            {
                if (_ranks.Length > e.Rank && _ranks[e.Rank].Finished)
                {
                    continue;
                }

                throw Failure(e.Rank, lost, awaited, rankLost: true);
            }

            if (e.Message!.BodyCase == WorkerMessage.BodyOneofCase.Failed)
            {
                throw await DiagnoseAsync(e, awaited, cancel).ConfigureAwait(false);
            }

            if (e.Message.BodyCase == WorkerMessage.BodyOneofCase.Finished)
            {
                _ranks[e.Rank].Finished = true;
            }

            return (e.Rank, e.Message);
        }
    }

    /// <summary>A worker said something the protocol does not allow here.</summary>
    public static JobFailedException Unexpected(int rank, WorkerMessage message, Awaited awaited) => Failure(rank, $"sent {message.BodyCase}", awaited);

    /// <summary>Ends the job: an abort to every worker when it failed, then the sessions close.</summary>
    public void End(string? abortReason)
    {
        if (abortReason is not null)
        {
            Broadcast(new CoordinatorMessage { Abort = new Abort { Reason = abortReason } });
        }

        foreach (var s in _ranks)
        {
            s.Outbox.Writer.TryComplete();
        }

        _ended.TrySetResult();
    }

    /// <summary>The launcher saw a worker process exit before the job ended; <paramref name="lastError"/> is the last line it wrote to standard error.</summary>
    /// <param name="rank">the rank the process was started to ask for, which after a shrink may not be the one it holds.</param>
    public void ReportProcessExit(int rank, int exitCode, string? lastError = null)
    {
        var why = lastError is null ? "" : $": {(lastError.StartsWith("error: ", StringComparison.Ordinal) ? lastError["error: ".Length..] : lastError)}";
        if (Rendezvous.Gone(rank, $"its process exited with code {exitCode}{why}"))
        {
            // Not part of the job (yet): the rendezvous goes on without it if the job can do without it.
            if (!Rendezvous.CanStillClose)
            {
                _exitedBeforeJoin.TrySetResult(Plan.Rejoin is null
                    ? $"the worker process for rank {rank} exited with code {exitCode} before the job started{why}"
                    : $"the worker process for rank {rank} exited with code {exitCode} before it rejoined{why}; too few workers are left for --min-workers {Rendezvous.Minimum}");
            }

            return;
        }

        if (Array.Find(Rendezvous.Complete.Result, s => s.Join.RequestedRank == rank) is { } session)
        {
            _events.Writer.TryWrite(new SessionEvent(session.Rank, null, $"its process exited with code {exitCode}"));
        }
    }

    private void CheckLiveness(Awaited awaited)
    {
        foreach (var s in _ranks)
        {
            if (!s.Finished && Liveness.SilentFor(s.Rank) is var silent && silent > Plan.PeerTimeout)
            {
                throw Failure(s.Rank, $"stopped answering (nothing for {silent.TotalSeconds:0} s)", awaited, rankLost: true);
            }
        }
    }

    private static JobFailedException Failure(int rank, string what, Awaited awaited, string also = "", bool rankLost = false) =>
        new($"rank {rank} {what} {awaited}{also}") { RankLost = rankLost };

    /// <summary>
    /// A worker's failure report is often only the symptom: its ring neighbour died or froze, and that rank's lost
    /// connection reaches the coordinator a moment later, or never. Listens for <see cref="SymptomGrace"/> to what
    /// else the ranks say, then names the rank that went away or went silent, with the reports after it.
    /// </summary>
    private async Task<JobFailedException> DiagnoseAsync(SessionEvent first, Awaited awaited, CancellationToken cancel)
    {
        var diagnosis = new FailureDiagnosis();
        diagnosis.Reported(first.Rank, first.Message!.Failed.Message);
        using (var window = CancellationTokenSource.CreateLinkedTokenSource(cancel))
        {
            window.CancelAfter(SymptomGrace);
            try
            {
                while (!diagnosis.HasCause)
                {
                    var e = await _events.Reader.ReadAsync(window.Token).ConfigureAwait(false);
                    if (e.Lost is { } lost && !(_ranks.Length > e.Rank && _ranks[e.Rank].Finished))
                    {
                        diagnosis.Lost(e.Rank, lost);
                    }
                    else if (e.Message?.BodyCase == WorkerMessage.BodyOneofCase.Failed)
                    {
                        diagnosis.Reported(e.Rank, e.Message.Failed.Message);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
            {
                // The window closed without a lost rank; silence may still name one.
            }
        }

        return diagnosis.Cause([.. _ranks.Select(s => s.Finished ? (TimeSpan?)null : Liveness.SilentFor(s.Rank))]) is { } cause
            ? Failure(cause.Rank, cause.What, awaited, $"; the other ranks reported: {diagnosis.Reports}", rankLost: true)
            : new JobFailedException($"{diagnosis.Reports} (step {awaited.Step})");
    }

    private static async Task PumpAsync(WorkerSession session, IServerStreamWriter<CoordinatorMessage> responses, CancellationToken cancel)
    {
        try
        {
            await foreach (var message in session.Outbox.Reader.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                await responses.WriteAsync(message, cancel).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or RpcException)
        {
            // The worker is gone; its reader has already reported the loss.
        }
    }
}
