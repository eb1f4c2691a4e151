using System.Threading.Channels;
using Grpc.Core;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>
/// A request stream the test writes into: what the handler reads is what the test wrote, in order. Completing it is
/// the client closing its side; failing it is the connection breaking under a read.
/// </summary>
internal sealed class ChannelStreamReader<T> : IAsyncStreamReader<T>
    where T : class
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true });
    private T? _current;

    public T Current => _current ?? throw new InvalidOperationException("MoveNext has not returned true");

    public void Write(T message)
    {
        if (!_channel.Writer.TryWrite(message))
        {
            throw new InvalidOperationException("the request stream is already closed");
        }
    }

    /// <summary>The client ends its stream normally.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>The next read throws <paramref name="error"/>, as a read on a broken connection does.</summary>
    public void Fail(Exception error) => _channel.Writer.TryComplete(error);

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        // WaitToReadAsync rethrows the exception the stream was failed with.
        while (await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_channel.Reader.TryRead(out var message))
            {
                _current = message;
                return true;
            }
        }

        return false;
    }
}
