using System.Diagnostics;
using System.Text;

namespace Distributed.Integration.Tests;

/// <summary>The real program as a child process, bounded in time; on timeout or disposal its whole tree is killed.</summary>
internal sealed class ProgramRun : IDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    /// <summary>Released once per line of standard output, so a waiter sees its text within a line's time, not a poll's.</summary>
    private readonly SemaphoreSlim _stdoutLines = new(0, int.MaxValue);
    private readonly Process _process;

    /// <param name="unset">variables removed from the inherited environment before <paramref name="environment"/> is applied.</param>
    public ProgramRun(IEnumerable<string> args, IDictionary<string, string>? environment = null, IEnumerable<string>? unset = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Distributed.Coordinator.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in unset ?? [])
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) =>
        {
            Append(_stdout, e.Data);
            _stdoutLines.Release();
        };
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        using var run = new ProgramRun(args, environment);
        var code = await run.WaitAsync(timeout);
        return (code, run.Stdout, run.Stderr);
    }

    public async Task<int> WaitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"did not exit within {timeout.TotalSeconds} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>
    /// Waits until standard output contains <paramref name="text"/>, waking on every line: a test that kills a process
    /// at a step must act before the run, a few milliseconds a step, moves on past it.
    /// </summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Stdout.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"'{text}' did not appear within {timeout.TotalSeconds} s\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            Assert.False(_process.HasExited, $"exited before '{text}' appeared\nstdout:\n{Stdout}\nstderr:\n{Stderr}");
            await _stdoutLines.WaitAsync(TimeSpan.FromMilliseconds(50));
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        // _stdoutLines is not disposed: a line still in flight would release it afterwards and throw on a pool thread.
        _process.Dispose();
    }

    public static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The workers a local job's launcher started, from its "[launcher] started rank R as pid P" lines.</summary>
    public static IEnumerable<(int Rank, int Pid)> StartedWorkers(string stdout) =>
        stdout.Split('\n').Where(l => l.StartsWith("[launcher] started rank", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' '))
            .Select(w => (int.Parse(w[3], System.Globalization.CultureInfo.InvariantCulture), int.Parse(w[^1], System.Globalization.CultureInfo.InvariantCulture)));

    public static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void Append(StringBuilder into, string? line)
    {
        if (line is not null)
        {
            lock (into)
            {
                into.AppendLine(line);
            }
        }
    }

    private static string Read(StringBuilder from)
    {
        lock (from)
        {
            return from.ToString();
        }
    }
}
