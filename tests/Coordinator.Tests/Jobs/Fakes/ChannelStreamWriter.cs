using System.Threading.Channels;
using Grpc.Core;

namespace Distributed.Coordinator.Tests.Jobs.Fakes;

/// <summary>A response stream the test reads from: every message the handler writes, in order.</summary>
internal sealed class ChannelStreamWriter<T> : IServerStreamWriter<T>
    where T : class
{
    /// <summary>A test that waits for a message the handler never sends fails after this, rather than hanging.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleWriter = true });

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(T message) => WriteAsync(message, CancellationToken.None);

    public Task WriteAsync(T message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _channel.Writer.TryWrite(message) ? Task.CompletedTask : throw new InvalidOperationException("the response stream is closed");
    }

    /// <summary>The next message written, failing the test if none comes within <see cref="ReadTimeout"/>.</summary>
    public async Task<T> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        try
        {
            return await _channel.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"nothing was written to the response stream within {ReadTimeout.TotalSeconds} s");
        }
    }

    /// <summary>Every message written so far, without waiting.</summary>
    public List<T> Drain()
    {
        var messages = new List<T>();
        while (_channel.Reader.TryRead(out var message))
        {
            messages.Add(message);
        }

        return messages;
    }
}
