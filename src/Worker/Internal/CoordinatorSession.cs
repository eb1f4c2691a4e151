using System.Threading.Channels;
using Distributed.Core.Telemetry;
using Distributed.Protocol;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Distributed.Worker.Internal;

/// <summary>
/// The worker's end of its session with the coordinator: joins (retrying with backoff while the coordinator is
/// not up yet), then carries reports up and control messages down. Writes are serialized through one queue; a
/// heartbeat keeps flowing while the worker computes, so a silent worker really is a stopped one.
/// </summary>
internal sealed class CoordinatorSession : IAsyncDisposable
{
    private static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(1);

    /// <summary>How long a finished worker waits for the coordinator to end the job before it hangs up anyway.</summary>
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage> _call;
    private readonly Channel<WorkerMessage> _outbox = Channel.CreateUnbounded<WorkerMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<CoordinatorMessage> _inbox = Channel.CreateUnbounded<CoordinatorMessage>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _writer = Task.CompletedTask;
    private Task _reader = Task.CompletedTask;
    private Task _heartbeat = Task.CompletedTask;

    private CoordinatorSession(GrpcChannel channel, AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage> call)
    {
        _channel = channel;
        _call = call;
    }

    public Welcome Welcome { get; private set; } = new();

    /// <summary>Cancelled when the coordinator aborts the job or the session breaks; <see cref="AbortReason"/> says why.</summary>
    public CancellationToken Aborted => _stop.Token;

    public string? AbortReason { get; private set; }

    /// <summary>How late step assignments arrive by this clock: one half of the timeline's clock offset estimate.</summary>
    public ClockSync Clock { get; } = new();

    /// <summary>Joins with a session proof over a fresh nonce from the coordinator (<see cref="SessionProof"/>), asked for anew on every attempt.</summary>
    public static async Task<CoordinatorSession> JoinAsync(string address, JoinRequest join, JobSecret secret, JobTls? tls, TimeSpan joinTimeout, TextWriter log, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + joinTimeout;
        var delay = TimeSpan.FromMilliseconds(100);
        var uri = PeerAddress.ToUri(address, tls is not null);
        while (true)
        {
            var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                    KeepAlivePingDelay = TimeSpan.FromSeconds(10),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
                    SslOptions = tls?.ClientOptions() ?? new(),
                },
            });
            var client = new Protocol.Coordinator.CoordinatorClient(channel);
            AsyncDuplexStreamingCall<WorkerMessage, CoordinatorMessage>? call = null;
            try
            {
                var challenge = await client.ChallengeAsync(new ChallengeRequest(), cancellationToken: cancel).ConfigureAwait(false);
                call = client.Session(SessionProof.Headers(secret, join.JobId, join.RequestedRank, challenge.Nonce.ToByteArray()), cancellationToken: cancel);
                await call.RequestStream.WriteAsync(new WorkerMessage { Join = join }, cancel).ConfigureAwait(false);
                if (!await call.ResponseStream.MoveNext(cancel).ConfigureAwait(false))
                {
                    throw new WorkerException($"the coordinator at {address} closed the session without a welcome");
                }

                var session = new CoordinatorSession(channel, call) { Welcome = call.ResponseStream.Current.Welcome ?? throw new WorkerException("the coordinator's first message was not a welcome") };
                session.StartPumps();
                return session;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && DateTime.UtcNow + delay < deadline)
            {
                // On Kubernetes the coordinator's name resolves before its port opens: keep knocking.
                call?.Dispose();
                channel.Dispose();
                log.WriteLine($"coordinator at {address} not reachable yet ({ex.Status.Detail}); retrying in {delay.TotalSeconds:0.0} s");
                await Task.Delay(delay, cancel).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
            catch (RpcException ex)
            {
                call?.Dispose();
                channel.Dispose();
                throw new WorkerException(ex.StatusCode == StatusCode.Unavailable
                    ? $"the coordinator at {address} did not answer within {joinTimeout.TotalSeconds:0} s: {ex.Status.Detail}"
                    : $"the coordinator refused to let this worker join: {ex.Status.Detail}");
            }
        }
    }

    public void Send(WorkerMessage message) => _outbox.Writer.TryWrite(message);

    /// <summary>The next control message; throws <see cref="WorkerException"/> when the job was aborted or the session lost.</summary>
    public async Task<CoordinatorMessage> NextAsync(CancellationToken cancel)
    {
        try
        {
            return await _inbox.Reader.ReadAsync(cancel).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new WorkerException(AbortReason ?? "the coordinator ended the session");
        }
    }

    /// <summary>Sends what is queued (the final report), then closes the session.</summary>
    public async ValueTask DisposeAsync()
    {
        _outbox.Writer.TryComplete();
        try
        {
            await _writer.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await _call.RequestStream.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or IOException)
        {
            // The coordinator may have gone first; there is nobody left to tell.
        }

        // Disposing the call resets the stream, and a reset can discard what the coordinator has not read yet (the
        // final checksum). The coordinator closes its side once the job has ended, so wait for that first, bounded.
        await Task.WhenAny(_reader, Task.Delay(CloseGrace)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(_reader, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        _call.Dispose();
        _channel.Dispose();
        _stop.Dispose();
    }

    private void StartPumps()
    {
        _writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
                {
                    await _call.RequestStream.WriteAsync(message).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or ObjectDisposedException)
            {
                Abort($"lost the coordinator: {ex.Message}");
            }
        });
        _reader = Task.Run(async () =>
        {
            try
            {
                while (await _call.ResponseStream.MoveNext(_stop.Token).ConfigureAwait(false))
                {
                    var message = _call.ResponseStream.Current;
                    if (message.BodyCase == CoordinatorMessage.BodyOneofCase.Steps && message.Steps.Steps is [var first, ..] && first.SentUnixNanos != 0)
                    {
                        Clock.Inbound(first.SentUnixNanos, ClockSync.NowUnixNanos());
                    }

                    if (message.BodyCase == CoordinatorMessage.BodyOneofCase.Abort)
                    {
                        Abort($"the coordinator aborted the job: {message.Abort.Reason}");
                        return;
                    }

                    _inbox.Writer.TryWrite(message);
                }

                Abort("the coordinator closed the session");
            }
            catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException or InvalidOperationException)
            {
                Abort(_stop.IsCancellationRequested ? "session closed" : $"lost the coordinator: {ex.Message}");
            }
        });
        _heartbeat = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(HeartbeatEvery);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    Send(new WorkerMessage { Heartbeat = new Heartbeat() });
                }
            }
            catch (OperationCanceledException)
            {
                // Session over.
            }
        });
    }

    private void Abort(string reason)
    {
        lock (_inbox)
        {
            AbortReason ??= reason;
        }

        _inbox.Writer.TryComplete();
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already shut down.
        }
    }
}
