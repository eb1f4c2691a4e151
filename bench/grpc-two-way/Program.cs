// grpc-dotnet's ceiling for a two-rank ring: each of two processes serves a raw server stream (Kestrel sends) and
// pulls the other's at the same time (SocketsHttpHandler receives), as each rank of this project's gRPC ring pulls
// its left neighbour's chunks while its right neighbour pulls its own. No protobuf, no ring: bytes only.
//   Program SELF_PORT OTHER_PORT CHUNK_KB TOTAL_MB BARRIER_DIR a|b
// Prints the median of three simultaneous pulls of TOTAL_MB, in GB/s each way (run.sh starts both peers).
using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var self = int.Parse(args[0]);
var other = int.Parse(args[1]);
var chunk = int.Parse(args[2]) * 1024;
var total = long.Parse(args[3]) << 20;
var barrierDirectory = args[4];
var name = args[5];

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    // The windows and frame size this project's workers use, so flow control is not what is measured.
    k.Limits.Http2.InitialConnectionWindowSize = 32 << 20;
    k.Limits.Http2.InitialStreamWindowSize = 16 << 20;
    k.Limits.Http2.MaxFrameSize = (1 << 24) - 1;
    k.Listen(IPAddress.Loopback, self, o => o.Protocols = HttpProtocols.Http2);
});
builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 64 << 20);
var app = builder.Build();
app.MapGrpcService<RawStream>();
await app.StartAsync();

var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{other}", new GrpcChannelOptions
{
    HttpHandler = new SocketsHttpHandler { InitialHttp2StreamWindowSize = 16 << 20 },
    MaxReceiveMessageSize = 64 << 20,
});
var invoker = channel.CreateCallInvoker();

// Both peers start each pull together: a file per peer and round, polled, is enough on one machine.
var round = 0;
async Task BothReady()
{
    round++;
    File.WriteAllText(Path.Combine(barrierDirectory, $"{name}.{round}"), "");
    var peer = Path.Combine(barrierDirectory, $"{(name == "a" ? "b" : "a")}.{round}");
    while (!File.Exists(peer))
    {
        await Task.Delay(1);
    }
}

async Task<double> Pull(long bytes)
{
    var request = new byte[12];
    BitConverter.TryWriteBytes(request.AsSpan(0), chunk);
    BitConverter.TryWriteBytes(request.AsSpan(4), bytes);
    var watch = Stopwatch.StartNew();
    using var call = invoker.AsyncServerStreamingCall(RawStream.PullMethod, null, new CallOptions(), request);
    long received = 0;
    while (await call.ResponseStream.MoveNext())
    {
        received += call.ResponseStream.Current.Length;
    }

    return received / watch.Elapsed.TotalSeconds / 1e9;
}

await BothReady();
await Pull(total / 4);
var rates = new List<double>();
for (var i = 0; i < 3; i++)
{
    await BothReady();
    rates.Add(await Pull(total));
}

rates.Sort();
Console.WriteLine($"peer {name}: chunk_kb={chunk / 1024} each_way_GBps={rates[1]:F3} (runs {string.Join(", ", rates.Select(r => r.ToString("F3")))})");

// The other peer may still be pulling from this one.
await BothReady();
await app.StopAsync();

[BindServiceMethod(typeof(RawStream), nameof(Bind))]
internal class RawStream
{
    private static readonly Marshaller<byte[]> Raw = new(b => b, b => b);

    public static readonly Method<byte[], byte[]> PullMethod = new(MethodType.ServerStreaming, "twoway.Stream", "Pull", Raw, Raw);

    public static void Bind(ServiceBinderBase binder, RawStream? service) => binder.AddMethod(PullMethod, service is null ? null : service.Pull);

    public virtual async Task Pull(byte[] request, IServerStreamWriter<byte[]> responses, ServerCallContext context)
    {
        var chunk = BitConverter.ToInt32(request, 0);
        var total = BitConverter.ToInt64(request, 4);
        var buffer = new byte[chunk];
        for (long sent = 0; sent < total; sent += chunk)
        {
            await responses.WriteAsync(buffer);
        }
    }
}
