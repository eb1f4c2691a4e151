using System.Diagnostics;
using System.Globalization;
using Distributed.Core.Compute.Cpu;
using Distributed.Worker.Security;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// Starts worker processes on this machine (what torchrun does): the same executable with the `worker` command,
/// output prefixed with the rank, and a watch on each that tells the coordinator when one dies. Disposing kills
/// whatever is still running, process tree and all, so no worker outlives the launcher's job.
/// </summary>
internal sealed class LocalLauncher(JobCoordinator job, TextWriter output) : IAsyncDisposable
{
    /// <summary>The runtime's switch for tiered compilation, set to 0 for workers (see <see cref="Start"/>).</summary>
    private const string FullJitVariable = "DOTNET_TieredCompilation";

    private readonly List<(int Rank, Process Process, Task Exited)> _workers = [];
    private readonly Dictionary<int, string> _lastErrors = [];

    /// <summary>How to start this program again: the apphost or single-file executable, or `dotnet program.dll`.</summary>
    public static (string File, string[] Prefix) Self()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell which executable is running");
        var name = Path.GetFileNameWithoutExtension(process);
        if (name == "dotnet")
        {
            // Assembly.Location would do, but it is empty in a single-file app, so the single-file analyzer rejects it;
            // under `dotnet` (or a test host) the program's dll sits in the application directory.
            var dll = Path.Combine(AppContext.BaseDirectory, typeof(LocalLauncher).Assembly.GetName().Name + ".dll");
            return (process, [dll]);
        }

        return (process, []);
    }

    /// <summary>
    /// Starts one worker per rank on 127.0.0.1: the workload's flags, then where the coordinator is and which rank
    /// to take (the one list of launch flags; the job's secret is in the environment, everything else a worker
    /// needs arrives in its welcome).
    /// </summary>
    public void StartAll(int count, string coordinatorAddress, IReadOnlyList<string> workload, CpuPlacement placement)
    {
        for (var rank = 0; rank < count; rank++)
        {
            Start(rank, [
                "worker", .. workload,
                "--coordinator", coordinatorAddress,
                "--rank", rank.ToString(CultureInfo.InvariantCulture),
                "--host", "127.0.0.1",
                "--port", "0",
                "--job-id", job.Plan.JobId,
                .. job.Plan.Tls is null ? Array.Empty<string>() : ["--tls"],
                .. placement.PerRank is { } cpus ? ["--cpus", CpuAffinity.Format(cpus[rank])] : Array.Empty<string>(),
            ]);
        }
    }

    private void Start(int rank, IEnumerable<string> arguments)
    {
        var (file, prefix) = Self();
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in prefix.Concat(arguments))
        {
            start.ArgumentList.Add(arg);
        }

        // The job's secret goes by the environment, which only this user can read, never by the command line,
        // which anyone on the machine can; a secret file this process inherited would take precedence, so it goes.
        start.Environment.Remove(JobSecret.FileVariable);
        start.Environment.Remove(JobTls.DirectoryVariable);
        start.Environment[JobSecret.Variable] = job.Plan.Secret.ToText();
        if (job.Plan.Tls is { } tls)
        {
            start.Environment[JobTls.BundleVariable] = tls.ToBundle();
        }

        // A worker runs one loop for the whole job, so it compiles everything fully optimized at once. With tiering,
        // its hot step code stayed in early tiers for seconds: the tiering thread competes with the ranks for the
        // cores. Measured with `bench train --model mlp --threads 1 --workers 2`: 32,128 against 27,554 samples/s
        // (medians of 3, ranges apart), for about 1.5 s more start-up. A value the user set is kept.
        start.Environment.TryAdd(FullJitVariable, "0");

        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the worker for rank {rank}");
        process.OutputDataReceived += (_, e) => Write(rank, e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            Write(rank, e.Data);
            if (!string.IsNullOrWhiteSpace(e.Data))
            {
                lock (_lastErrors)
                {
                    _lastErrors[rank] = e.Data;
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = WatchAsync(rank, process);
        _workers.Add((rank, process, exited));
        Write(-1, $"started rank {rank} as pid {process.Id}");
    }

    /// <summary>Waits (bounded) for every worker to exit by itself after the job ended.</summary>
    public async Task WaitForExitAsync(TimeSpan grace)
    {
        await Task.WhenAny(Task.WhenAll(_workers.Select(w => w.Process.WaitForExitAsync())), Task.Delay(grace)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (rank, process, _) in _workers)
        {
            try
            {
                if (!process.HasExited)
                {
                    Write(-1, $"stopping rank {rank} (pid {process.Id})");
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }
        }

        await Task.WhenAny(Task.WhenAll(_workers.Select(w => w.Exited)), Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        foreach (var (_, process, _) in _workers)
        {
            process.Dispose();
        }
    }

    private async Task WatchAsync(int rank, Process process)
    {
        // Without a timeout the wait also drains the output, so the worker's last error line has been read.
        await process.WaitForExitAsync().ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            string? lastError;
            lock (_lastErrors)
            {
                lastError = _lastErrors.GetValueOrDefault(rank);
            }

            job.ReportProcessExit(rank, process.ExitCode, lastError);
        }
    }

    private void Write(int rank, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.WriteLine(rank < 0 ? $"[launcher] {line}" : $"[rank {rank}] {line}");
        }
    }
}
