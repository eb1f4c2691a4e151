using System.Net.Sockets;
using Distributed.Protocol;
using Distributed.Worker.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Distributed.Integration.Tests;

/// <summary>
/// A process on the same machine that is not part of the job and tries to be: it knows the ports, sometimes the
/// job id, sometimes a secret (the wrong one) or a credential (another rank's), and reports how it was turned away.
/// </summary>
internal static class Intruder
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>The Pull method with raw bytes for messages: whatever an outsider likes to read.</summary>
    private static readonly Method<byte[], byte[]> RawPull = new(MethodType.ServerStreaming, Peer.Descriptor.FullName, "Pull",
        Marshallers.Create<byte[]>(b => b, b => b), Marshallers.Create<byte[]>(b => b, b => b));

    /// <summary>Session headers made with <paramref name="secret"/> over a nonce the coordinator really issued.</summary>
    public static async Task<Metadata> ProofAsync(int port, JobSecret secret, string jobId, int rank)
    {
        using var channel = Channel(port);
        var challenge = await new Protocol.Coordinator.CoordinatorClient(channel).ChallengeAsync(new ChallengeRequest(), deadline: DateTime.UtcNow + Patience);
        return SessionProof.Headers(secret, jobId, rank, challenge.Nonce.ToByteArray());
    }

    /// <summary>Opens a session with <paramref name="headers"/>, asks to join as <paramref name="rank"/>, and returns the refusal.</summary>
    public static async Task<RpcException> JoinAsync(int port, Metadata headers, string jobId, int rank)
    {
        using var channel = Channel(port);
        using var call = new Protocol.Coordinator.CoordinatorClient(channel).Session(headers, deadline: DateTime.UtcNow + Patience);
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await call.RequestStream.WriteAsync(new WorkerMessage { Join = new JoinRequest { JobId = jobId, RequestedRank = rank, Address = "127.0.0.1:1", Pid = Environment.ProcessId } });
            await call.ResponseStream.MoveNext();
        });
    }

    /// <summary>Pulls a worker's ring chunks with <paramref name="headers"/> and returns the refusal.</summary>
    public static async Task<RpcException> PullAsync(int port, Metadata headers)
    {
        using var channel = Channel(port);
        using var call = channel.CreateCallInvoker().AsyncServerStreamingCall(RawPull, null, new CallOptions(headers, DateTime.UtcNow + Patience), []);
        return await Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext())
            {
                // Whatever arrives: the test's assertion is that nothing does and the call is refused.
            }
        });
    }

    /// <summary>Random bytes straight onto the port, not even HTTP/2.</summary>
    public static async Task GarbageAsync(int port)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
        var garbage = new byte[256 * 1024];
        new Random(port).NextBytes(garbage);
        try
        {
            await tcp.GetStream().WriteAsync(garbage);
            await tcp.GetStream().ReadAsync(new byte[1024]).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException)
        {
            // The server hung up on it, as it should.
        }
    }

    /// <summary>Waits until something listens on <paramref name="port"/>.</summary>
    public static async Task WaitForListenerAsync(int port, ProgramRun run)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Assert.True(ProgramRun.IsAlive(run.Id), $"exited before listening on {port}\nstdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
                await Task.Delay(100);
            }
        }
    }

    private static GrpcChannel Channel(int port) => GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
}
