using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Distributed.Worker.Security;

/// <summary>
/// What a service of the job needs to tell its own processes from anyone else: the job (its secret and id), its
/// certificates when it uses TLS, and where refusals go. Each service checks a call with it before reading any of it.
/// </summary>
public sealed record Admission(JobSecret Secret, string JobId, JobTls? Tls, Refusals Refusals)
{
    /// <summary>
    /// Under TLS, a call must come over a connection whose client certificate the job's CA issued. The handshake
    /// accepts any (so a probe may still reach the health service); the job's services refuse it here.
    /// </summary>
    public void RequireJobCertificate(ServerCallContext context)
    {
        if (Tls is { } tls && !tls.Trusts(context.GetHttpContext().Connection.ClientCertificate))
        {
            throw Refusals.Refuse(context, "no certificate from the job's CA");
        }
    }
}
