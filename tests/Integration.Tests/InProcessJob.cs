using Distributed.Coordinator.Cli;

namespace Distributed.Integration.Tests;

/// <summary>
/// A coordinator and N workers in this process, each through the real command line (`coordinator`, `worker`),
/// talking real gRPC over 127.0.0.1: what an in-memory exporter or listener in the test can observe whole.
/// </summary>
internal static class InProcessJob
{
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(int workers, string[] train, string[] coordinatorFlags, TimeSpan timeout)
    {
        var port = ProgramRun.FreePort();
        using var secret = new SecretFile();
        var outText = new StringWriter();
        var errText = new StringWriter();
        var stdout = TextWriter.Synchronized(outText);
        var stderr = TextWriter.Synchronized(errText);
        var coordinator = Task.Run(() => CliApp.Run(["coordinator", "--workers", $"{workers}", "--host", "127.0.0.1", "--port", $"{port}", "--join-timeout", "60", .. secret.Flag, .. train, .. coordinatorFlags], stdout, stderr));
        var ranks = Enumerable.Range(0, workers).Select(rank => Task.Run(() =>
            CliApp.Run(["worker", "--coordinator", $"127.0.0.1:{port}", "--rank", $"{rank}", "--host", "127.0.0.1", "--port", "0", "--join-timeout", "60", "--threads", "1", .. secret.Flag, .. train], stdout, stderr))).ToArray();
        var all = Task.WhenAll([coordinator, .. ranks]);
        if (await Task.WhenAny(all, Task.Delay(timeout)) != all)
        {
            Assert.Fail($"the in-process job did not finish within {timeout.TotalSeconds} s\n{Read(stdout, outText)}\n{Read(stderr, errText)}");
        }

        var codes = await all;
        return (codes.Max(), Read(stdout, outText), Read(stderr, errText));
    }

    /// <summary>A synchronized writer locks itself while writing; read its text under the same lock.</summary>
    private static string Read(TextWriter synchronized, StringWriter text)
    {
        lock (synchronized)
        {
            return text.ToString();
        }
    }
}
