using System.Text.Json;
using Distributed.Coordinator.Cli;

namespace Distributed.Coordinator.Sweeps;

/// <summary>
/// A sweep's directory: sweep.json (the command line that defines it, for --resume), trials/NNNN/ (one directory per
/// trial: its own metrics, log and summary files, so parallel trials never share a file, and trial.json once it has
/// ended), and summary.json at the end. trial.json is written whole and then renamed into place, so an interrupted
/// sweep leaves either a finished record or none.
/// </summary>
internal sealed class TrialStore(string directory)
{
    public const string DefinitionFile = "sweep.json";
    public const string SummaryFile = "summary.json";
    public const string RecordFile = "trial.json";

    public string Directory { get; } = directory;

    public string SummaryPath => Path.Combine(Directory, SummaryFile);

    public string TrialDirectory(int trial) => Path.Combine(Directory, "trials", trial.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Writes the sweep's defining arguments; refuses a directory that already holds another sweep.</summary>
    public void Begin(IReadOnlyList<string> arguments)
    {
        if (File.Exists(Path.Combine(Directory, DefinitionFile)))
        {
            throw new UsageException($"{Directory} already holds a sweep; continue it with --resume {Directory}, or pick another --out");
        }

        JsonFiles.Write(Path.Combine(Directory, DefinitionFile), new SweepDefinition([.. arguments]));
    }

    /// <summary>The arguments a sweep was started with.</summary>
    public string[] Definition()
    {
        var path = Path.Combine(Directory, DefinitionFile);
        if (!File.Exists(path))
        {
            throw new UsageException($"--resume {Directory}: no {DefinitionFile} there, so no sweep to continue");
        }

        return JsonSerializer.Deserialize<SweepDefinition>(File.ReadAllText(path), JsonFiles.Document)?.Arguments
            ?? throw new UsageException($"--resume {Directory}: {DefinitionFile} is empty");
    }

    /// <summary>A fresh directory for a trial about to run: whatever an interrupted attempt left there goes.</summary>
    public string Prepare(int trial)
    {
        var dir = TrialDirectory(trial);
        if (System.IO.Directory.Exists(dir))
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }

        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    public void Save(TrialRecord record)
    {
        var path = Path.Combine(TrialDirectory(record.Trial), RecordFile);
        JsonFiles.Write(path, record);
    }

    /// <summary>Every trial that has ended, by index.</summary>
    public Dictionary<int, TrialRecord> Finished()
    {
        var trials = Path.Combine(Directory, "trials");
        if (!System.IO.Directory.Exists(trials))
        {
            return [];
        }

        return System.IO.Directory.EnumerateFiles(trials, RecordFile, SearchOption.AllDirectories)
            .Select(f => JsonSerializer.Deserialize<TrialRecord>(File.ReadAllText(f), JsonFiles.Document)!)
            .ToDictionary(r => r.Trial);
    }

    private sealed record SweepDefinition(string[] Arguments);
}
