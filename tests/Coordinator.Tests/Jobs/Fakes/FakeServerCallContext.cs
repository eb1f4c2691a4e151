using Grpc.Core;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>
/// The call context a streaming service method receives, without a server: what a handler under test reads is its
/// cancellation token (the client going away); everything else is inert. The idea is grpc-dotnet's test helper.
/// </summary>
internal sealed class FakeServerCallContext(CancellationToken cancel) : ServerCallContext
{
    private readonly Metadata _requestHeaders = [];
    private readonly Metadata _responseTrailers = [];

    protected override string MethodCore => "/distributed.v1.Coordinator/Session";

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:0";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore => _requestHeaders;

    protected override CancellationToken CancellationTokenCore => cancel;

    protected override Metadata ResponseTrailersCore => _responseTrailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("a fake call cannot start child calls");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
