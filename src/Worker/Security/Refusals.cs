using System.Collections.Concurrent;
using Distributed.Core.Telemetry;
using Grpc.Core;

namespace Distributed.Worker.Security;

/// <summary>
/// How a service turns away a call that did not prove itself: the caller hears only "refused" (no job id, no
/// configuration, no exception text), every refusal is counted (<see cref="Instruments.RefusedCalls"/>), and each
/// caller's host is logged once, so a flood of attempts is one line and not a flood of lines.
/// </summary>
public sealed class Refusals(string service, TextWriter log)
{
    /// <summary>Hosts remembered as already logged; past this many, new ones are only counted, so the record cannot grow without bound.</summary>
    private const int LoggedHostsLimit = 1024;

    private readonly ConcurrentDictionary<string, byte> _logged = new();
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    /// <param name="why">what the log line says about the refused call; never anything the caller sent.</param>
    public RpcException Refuse(ServerCallContext context, string why, StatusCode code = StatusCode.Unauthenticated)
    {
        Interlocked.Increment(ref _count);
        Instruments.RefusedCalls.Add(1, new KeyValuePair<string, object?>("service", service));
        var from = Host(context.Peer);
        if (_logged.Count < LoggedHostsLimit && _logged.TryAdd(from, 0))
        {
            lock (log)
            {
                log.WriteLine($"{service}: refused a call from {from} ({why}); further refusals from there are only counted");
            }
        }

        return new RpcException(new Status(code, "refused"));
    }

    /// <summary>The caller's address without its port (gRPC's peer string is ipv4:a.b.c.d:port or ipv6:[::1]:port).</summary>
    private static string Host(string peer)
    {
        var colon = peer.LastIndexOf(':');
        var first = peer.IndexOf(':', StringComparison.Ordinal);
        return colon > first && first >= 0 ? peer[(first + 1)..colon] : peer;
    }
}
