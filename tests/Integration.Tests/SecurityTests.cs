using System.Text.RegularExpressions;
using Distributed.Worker.Security;
using Grpc.Core;

namespace Distributed.Integration.Tests;

/// <summary>
/// Only the job's own processes take part: real `coordinator` and `worker` processes on 127.0.0.1 with intruders
/// at both doors, and a local job's hand-over of its secret.
/// </summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public partial class SecurityTests
{
    private const string JobId = "guarded";

    private static readonly string[] Train = ["--model", "linreg", "--optimizer", "sgd", "--lr", "0.1", "--epochs", "100", "--batch-size", "4", "--zero", "2"];

    [Fact]
    public async Task IntrudersAtTheCoordinatorAndTheRingAreRefusedAndTheJobEndsAsAnUndisturbedOne()
    {
        var undisturbed = await RunJobAsync(attack: false);
        var attacked = await RunJobAsync(attack: true);

        Assert.Equal(undisturbed.Result, attacked.Result);
        Assert.Empty(undisturbed.RefusalLines);
        // Every refusal is counted, but each door logs its one caller's host once.
        Assert.Equal(["coordinator: refused a call from 127.0.0.1"], attacked.RefusalLines.Where(l => l.StartsWith("coordinator", StringComparison.Ordinal)));
        Assert.Equal(["ring: refused a call from 127.0.0.1", "ring: refused a call from 127.0.0.1"], attacked.RefusalLines.Where(l => l.StartsWith("ring", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ALocalJobHandsItsSecretToItsWorkersOutsideEveryCommandLineAndLog()
    {
        using var run = new ProgramRun(["train", "--workers", "2", .. Train[..^6], "--epochs", "3000", "--batch-size", "4"], unset: [JobSecret.FileVariable, JobSecret.Variable]);
        await run.WaitForOutputAsync("started rank 1 as pid", TimeSpan.FromSeconds(60));
        var pids = ProgramRun.StartedWorkers(run.Stdout).Select(w => w.Pid).ToArray();
        Assert.Equal(2, pids.Length);

        // The workers' own environment is where the secret is; it is the same for both, and the parent has none.
        var secrets = pids.Select(pid => Environ(pid)[JobSecret.Variable]).Distinct().ToArray();
        var secret = Assert.Single(secrets);
        Assert.Matches("^[0-9a-f]{64}$", secret);
        Assert.False(Environ(run.Id).ContainsKey(JobSecret.Variable));
        Assert.All(pids.Append(run.Id), pid => Assert.DoesNotContain(secret, CommandLine(pid), StringComparison.OrdinalIgnoreCase));

        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(180)));
        Assert.Contains("all 2 ranks hold identical parameters", run.Stdout);
        Assert.DoesNotContain(secret, run.Stdout + run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>`coordinator` and two `worker`s from the environment, with the intruders of <paramref name="attack"/> at both doors while they start.</summary>
    private static async Task<(string Result, string[] RefusalLines)> RunJobAsync(bool attack)
    {
        using var dir = new TempDirectory();
        var secret = JobSecret.Create();
        File.WriteAllText(dir.File("secret"), secret.ToText());
        var port = ProgramRun.FreePort();
        var ringPorts = new[] { ProgramRun.FreePort(), ProgramRun.FreePort() };
        var common = new Dictionary<string, string>
        {
            ["WORLD_SIZE"] = "2", ["JOB_ID"] = JobId, ["COORDINATOR_PORT"] = $"{port}", ["COORDINATOR_ADDRESS"] = $"127.0.0.1:{port}", [JobSecret.FileVariable] = dir.File("secret"),
        };
        string[] unset = [JobSecret.Variable, "POD_IP", "RANK", "JOB_COMPLETION_INDEX"];
        using var coordinator = new ProgramRun(["coordinator", .. Train], common, unset);
        await coordinator.WaitForOutputAsync("listening", TimeSpan.FromSeconds(60));
        if (attack)
        {
            await AttackCoordinatorAsync(port, secret);
        }

        // Rank 1 listens first, so the intruders reach its ring before its real neighbour does.
        using var rank1 = new ProgramRun(["worker", "--port", $"{ringPorts[1]}", .. Train], new Dictionary<string, string>(common) { ["RANK"] = "1" }, unset);
        await Intruder.WaitForListenerAsync(ringPorts[1], rank1);
        var waiting = new List<Task<RpcException>>();
        if (attack)
        {
            waiting.Add(await AttackRingAsync(ringPorts[1], secret, neighbour: 0));
        }

        using var rank0 = new ProgramRun(["worker", "--port", $"{ringPorts[0]}", .. Train], new Dictionary<string, string>(common) { ["RANK"] = "0" }, unset);
        if (attack)
        {
            await Intruder.WaitForListenerAsync(ringPorts[0], rank0);
            waiting.Add(await AttackRingAsync(ringPorts[0], secret, neighbour: 1));
        }

        var runs = new[] { coordinator, rank0, rank1 };
        Assert.All(runs, run => Assert.DoesNotContain(secret.ToText(), CommandLine(run.Id), StringComparison.OrdinalIgnoreCase));
        foreach (var run in runs)
        {
            Assert.True(await run.WaitAsync(TimeSpan.FromSeconds(120)) == 0, $"stdout:\n{run.Stdout}\nstderr:\n{run.Stderr}");
        }

        // A rank of the job that is not the neighbour was held, sent nothing, until the welcome said so; then refused.
        foreach (var refused in await Task.WhenAll(waiting))
        {
            Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        }

        Assert.All(runs, run => Assert.DoesNotContain(secret.ToText(), run.Stdout + run.Stderr, StringComparison.OrdinalIgnoreCase));
        var result = string.Join('\n', coordinator.Stdout.Split('\n').Where(l => l.StartsWith("parameters:", StringComparison.Ordinal) || l.Contains("hold identical parameters", StringComparison.Ordinal)));
        Assert.Contains("checksum", result, StringComparison.Ordinal);
        var refusals = runs.SelectMany(r => r.Stdout.Split('\n')).Select(l => RefusalLine().Match(l)).Where(m => m.Success).Select(m => m.Value).ToArray();
        return (result, refusals);
    }

    /// <summary>No proof, another job's secret, a proof whose rank was changed, and garbage: each refused, and told nothing.</summary>
    private static async Task AttackCoordinatorAsync(int port, JobSecret secret)
    {
        var forged = await Intruder.ProofAsync(port, secret, JobId, 1);
        forged.Remove(forged.Get(SessionProof.RankHeader)!);
        forged.Add(SessionProof.RankHeader, "0");
        var attempts = new[]
        {
            new Metadata(),
            await Intruder.ProofAsync(port, JobSecret.Create(), JobId, 0),
            await Intruder.ProofAsync(port, JobSecret.Create(), "another-job", 0),
            forged,
        };
        foreach (var headers in attempts)
        {
            var refused = await Intruder.JoinAsync(port, headers, JobId, 0);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Equal("refused", refused.Status.Detail);
            Assert.DoesNotContain(JobId, refused.ToString(), StringComparison.Ordinal);
        }

        await Intruder.GarbageAsync(port);
    }

    /// <summary>
    /// An outsider with no credential pulling first, another job's credential of the right rank, garbage; then a
    /// credential of this job for the wrong rank, which waits for the welcome and is returned to be judged.
    /// </summary>
    private static async Task<Task<RpcException>> AttackRingAsync(int port, JobSecret secret, int neighbour)
    {
        foreach (var headers in new[] { new Metadata(), RingCredential.Headers(JobSecret.Create(), JobId, neighbour), RingCredential.Headers(secret, "another-job", neighbour) })
        {
            var refused = await Intruder.PullAsync(port, headers);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
            Assert.Equal("refused", refused.Status.Detail);
        }

        await Intruder.GarbageAsync(port);
        return Intruder.PullAsync(port, RingCredential.Headers(secret, JobId, 1 - neighbour));
    }

    private static string CommandLine(int pid) => File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');

    private static Dictionary<string, string> Environ(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2)).Where(p => p.Length == 2).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);

    [GeneratedRegex(@"(coordinator|ring): refused a call from \S+")]
    private static partial Regex RefusalLine();
}
