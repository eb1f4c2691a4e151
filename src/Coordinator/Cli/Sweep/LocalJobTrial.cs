using System.Diagnostics;
using System.Text.Json;
using Distributed.Coordinator.Jobs;
using Distributed.Coordinator.Sweeps;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// A trial that is itself a local job (the sweep's flags include --workers N): the real `train` command as a child
/// process of this program, which starts its own workers. Its per-epoch metrics are read from the epochs.jsonl it
/// writes in the trial's directory; pruning or Ctrl-C kills it, workers and all, by its process tree.
/// </summary>
internal sealed class LocalJobTrial : ITrialExecutor
{
    /// <summary>How often the metrics file is read: an epoch takes seconds, so a prune decision is at most this late.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    public async Task<TrialOutcome> RunAsync(TrialRun trial, Func<EpochMetrics, bool> prune, CancellationToken cancel)
    {
        var (file, prefix) = LocalLauncher.Self();
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in prefix.Append("train").Concat(trial.Arguments))
        {
            start.ArgumentList.Add(arg);
        }

        await using var log = new StreamWriter(Path.Combine(trial.Directory, ITrialExecutor.LogFile)) { AutoFlush = true };
        log.WriteLine(TrialArguments.Display(trial.Arguments));
        string? lastError = null;
        void Write(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (log)
            {
                log.WriteLine(line);
                if (line.StartsWith("error: ", StringComparison.Ordinal))
                {
                    lastError = line["error: ".Length..];
                }
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start the trial's train process");
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var epochs = new EpochReader(Path.Combine(trial.Directory, "epochs.jsonl"));
        var history = new List<EpochMetrics>();
        var exited = process.WaitForExitAsync(CancellationToken.None);
        try
        {
            while (true)
            {
                var done = await Task.WhenAny(exited, Task.Delay(Poll, cancel)).ConfigureAwait(false) == exited;
                cancel.ThrowIfCancellationRequested();
                foreach (var e in epochs.ReadNew())
                {
                    history.Add(e);
                    if (!done && prune(e))
                    {
                        Kill(process);
                        await exited.ConfigureAwait(false);
                        return new TrialOutcome(TrialStatus.Pruned, history);
                    }
                }

                if (done)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await exited.ConfigureAwait(false);
            throw;
        }

        // The last lines may still be in the pipes after the exit.
        process.WaitForExit();
        return process.ExitCode == 0
            ? new TrialOutcome(TrialStatus.Completed, history)
            : new TrialOutcome(TrialStatus.Failed, history, lastError ?? $"train exited with code {process.ExitCode}");
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the decision and the kill.
        }
    }

    /// <summary>Reads the complete lines appended to a JSON Lines file since the last call; a half-written last line waits for the next.</summary>
    private sealed class EpochReader(string path)
    {
        private long _offset;

        public IEnumerable<EpochMetrics> ReadNew()
        {
            if (!File.Exists(path))
            {
                return [];
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.Seek(_offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            var end = text.LastIndexOf('\n');
            if (end < 0)
            {
                return [];
            }

            _offset += System.Text.Encoding.UTF8.GetByteCount(text.AsSpan(0, end + 1));
            return text[..end].Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => JsonSerializer.Deserialize<EpochMetrics>(line, JsonFiles.Line)!)
                .ToArray();
        }
    }
}
