using System.Runtime.InteropServices;

namespace Distributed.Integration.Tests;

/// <summary>
/// Stopping a run from outside, as a user or a scheduler does: one SIGTERM (or Ctrl-C's SIGINT) stops a single-process run and
/// a local job alike (exit code 1, "cancelled", no stack trace); a second one quits at once; and a launcher whose
/// own parent is killed stops its job instead of training on for nobody.
/// </summary>
public partial class SignalTests
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Long enough that only a signal can end it within the test's bound.</summary>
    private static readonly string[] LongRun = ["--model", "mlp", "--data", "synthetic", "--synthetic-samples", "4096", "--epochs", "1000", "--progress", "none"];

    // SIGTERM, not SIGINT: a command started in the background by a non-interactive shell (as a CI script may start
    // the tests) inherits SIGINT ignored, by POSIX rules, and the runtime rightly leaves it so. The handler is the same.
    [Theory]
    [InlineData(SigTerm, 0)]
    [InlineData(SigTerm, 2)]
    public async Task OneSignalStopsTheRunCleanly(int signal, int workers)
    {
        using var run = new ProgramRun(["train", .. LongRun, "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await run.WaitForOutputAsync(workers == 0 ? "optimizer:" : "started rank 1", Bound);

        Assert.Equal(0, Kill(run.Id, signal));
        var code = await run.WaitAsync(Bound);

        Assert.Equal(1, code);
        Assert.Contains("cancelled", run.Stderr);
        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task ASecondSignalQuitsAtOnce()
    {
        using var run = new ProgramRun(["train", .. LongRun]);
        await run.WaitForOutputAsync("optimizer:", Bound);

        Kill(run.Id, SigTerm);
        Kill(run.Id, SigTerm);
        await run.WaitAsync(Bound);

        Assert.DoesNotContain("   at ", run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task ALauncherWhoseParentIsKilledStopsItsJob()
    {
        // A shell stands in for `dotnet run`: it waits on the launcher, so killing it orphans the launcher.
        var dll = Path.Combine(AppContext.BaseDirectory, "Distributed.Coordinator.dll");
        var start = new System.Diagnostics.ProcessStartInfo("bash") { UseShellExecute = false, RedirectStandardOutput = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"dotnet '{dll}' train {string.Join(' ', LongRun)} --workers 2; true");
        using var shell = System.Diagnostics.Process.Start(start)!;
        var launcher = 0;
        var workers = new List<int>();
        try
        {
            var deadline = DateTime.UtcNow + Bound;
            while (workers.Count < 2)
            {
                Assert.True(DateTime.UtcNow < deadline, "the job did not start its workers in time");
                var line = await shell.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("the launcher ended early");
                if (line.StartsWith("[launcher] started rank", StringComparison.Ordinal))
                {
                    workers.Add(int.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            launcher = Children(shell.Id).Single();
            Kill(shell.Id, SigKill);

            var gone = DateTime.UtcNow + Bound;
            while (ProgramRun.IsAlive(launcher) || workers.Any(ProgramRun.IsAlive))
            {
                Assert.True(DateTime.UtcNow < gone, "the orphaned launcher or its workers are still running");
                await Task.Delay(200);
            }
        }
        finally
        {
            foreach (var pid in workers.Append(launcher).Where(p => p > 0 && ProgramRun.IsAlive(p)))
            {
                Kill(pid, SigKill);
            }

            if (!shell.HasExited)
            {
                shell.Kill(entireProcessTree: true);
            }
        }
    }

    private static int[] Children(int pid) =>
        File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);
}
