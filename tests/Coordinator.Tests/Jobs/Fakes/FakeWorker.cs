using Distributed.Coordinator.Jobs;
using Distributed.Protocol;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>
/// One worker's session with a <see cref="JobCoordinator"/>, over in-memory streams instead of gRPC: the test says
/// what the worker sends and reads what the coordinator answers. Disposing it is the call going away.
/// </summary>
internal sealed class FakeWorker : IAsyncDisposable
{
    private readonly CancellationTokenSource _call = new();
    private readonly ChannelStreamReader<WorkerMessage> _requests = new();
    private readonly ChannelStreamWriter<CoordinatorMessage> _responses = new();

    private FakeWorker(JobCoordinator job, WorkerMessage? first)
    {
        if (first is not null)
        {
            _requests.Write(first);
        }

        Session = job.RunSessionAsync(_requests, _responses, new FakeServerCallContext(_call.Token));
    }

    /// <summary>The coordinator's handler for this session: it ends when the job has ended and the worker closed its stream.</summary>
    public Task Session { get; }

    /// <summary>A worker that joins <paramref name="job"/> as a real one would (same job id and configuration).</summary>
    public static FakeWorker Join(JobCoordinator job, int requestedRank = -1, string? address = null) =>
        Open(job, new WorkerMessage { Join = JoinOf(job.Plan, requestedRank, address) });

    /// <summary>A session that opens with <paramref name="first"/> (null: nothing yet).</summary>
    public static FakeWorker Open(JobCoordinator job, WorkerMessage? first) => new(job, first);

    public static JoinRequest JoinOf(JobPlan plan, int requestedRank = -1, string? address = null) =>
        new() { JobId = plan.JobId, Config = plan.Config, RequestedRank = requestedRank, Address = address ?? "127.0.0.1:0", Pid = 1 };

    public void Send(WorkerMessage message) => _requests.Write(message);

    /// <summary>The next message from the coordinator (the test fails if none comes in time).</summary>
    public Task<CoordinatorMessage> ReceiveAsync() => _responses.ReadAsync();

    /// <summary>The next message, which must be of <paramref name="kind"/>.</summary>
    public async Task<CoordinatorMessage> ReceiveAsync(CoordinatorMessage.BodyOneofCase kind)
    {
        var message = await ReceiveAsync();
        Assert.True(message.BodyCase == kind, $"expected {kind}, the coordinator sent {message}");
        return message;
    }

    /// <summary>What the coordinator has sent and the test has not read yet.</summary>
    public List<CoordinatorMessage> Unread() => _responses.Drain();

    /// <summary>The worker ends its request stream normally, as one does when it is done.</summary>
    public void Close() => _requests.Complete();

    /// <summary>The connection breaks: the coordinator's next read fails.</summary>
    public void Disconnect() => _requests.Fail(new IOException("connection reset by peer"));

    public async ValueTask DisposeAsync()
    {
        await _call.CancelAsync();
        try
        {
            await Session;
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException)
        {
            // The session ended the way a cancelled or refused call ends; the test has already judged it.
        }

        _call.Dispose();
    }
}
