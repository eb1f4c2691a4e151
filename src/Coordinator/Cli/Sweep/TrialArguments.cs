using System.CommandLine;
using System.Globalization;
using Distributed.Coordinator.Sweeps;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// Turns a sweep's fixed train flags and one trial's parameter values into that trial's `train` command line, through
/// <see cref="TrainOptionsSet"/>, so a parameter NAME is exactly a train flag and the line recorded is the line run.
/// </summary>
internal sealed class TrialArguments
{
    private readonly TrainOptionsSet _train = new();
    private readonly DistributedOptionsSet _distributed = new();
    private readonly Command _parser = new("train");
    private readonly string[] _fixed;

    /// <param name="fixedSettings">The sweep's train flags, the same for every trial.</param>
    /// <param name="swept">The parameters, checked here: each a train flag the sweep does not own, each value one the flag reads.</param>
    public TrialArguments(TrainSettings fixedSettings, int workers, IReadOnlyList<ParameterSpec> swept)
    {
        foreach (var option in _train.All.Append(_distributed.Workers).Append(_distributed.CpuBind))
        {
            _parser.Add(option);
        }

        Workers = workers;
        foreach (var spec in swept)
        {
            Check(spec);
        }

        var sweptFlags = swept.Select(s => "--" + s.Name).ToHashSet();
        ThreadsSwept = sweptFlags.Contains(ThreadsOption.Name);
        var fixedOptions = _train.All.Except(Owned).Where(o => !sweptFlags.Contains(o.Name) && o != ThreadsOption);
        _fixed = [.. _train.Given(fixedSettings, fixedOptions).SelectMany(flag => flag.Values.Prepend(flag.Name))];
        FixedThreads = fixedSettings.Threads;
    }

    public int Workers { get; }

    /// <summary>--threads as given to the sweep; 0 lets the sweep share the cores.</summary>
    public int FixedThreads { get; }

    /// <summary>Whether --threads is one of the parameters, so the sweep does not set it.</summary>
    public bool ThreadsSwept { get; }

    /// <summary>Flags the sweep sets per trial itself: each trial's files live in its own directory.</summary>
    private IEnumerable<Option> Owned => [_train.Out, _train.Json, _train.MetricsFormat, Save];

    private Option Save => _train.All.Single(o => o.Name == "--save");

    private Option ThreadsOption => _train.All.Single(o => o.Name == "--threads");

    /// <summary>
    /// Trial's `train` arguments (without the command): the fixed flags, the trial's values, its share of the cores
    /// (cores / trials at once, and / workers for a local job, as torchrun shares them), and its own output files.
    /// </summary>
    public string[] For(IEnumerable<KeyValuePair<string, string>> values, int parallel, string directory)
    {
        var threads = Threads(parallel);
        string[] workers = Workers > 0 ? [_distributed.Workers.Name, Workers.ToString(CultureInfo.InvariantCulture)] : [];
        string[] share = ThreadsSwept ? [] : [ThreadsOption.Name, threads.ToString(CultureInfo.InvariantCulture)];

        // Each trial's launcher would bind its ranks to the first CPUs it may use, all trials to the same ones.
        string[] placement = Workers > 0 && parallel > 1 ? [_distributed.CpuBind.Name, Jobs.CpuPlacement.None] : [];
        return
        [
            .. _fixed,
            .. values.SelectMany(v => new[] { "--" + v.Key, v.Value }),
            .. workers,
            .. share,
            .. placement,
            "--out", directory,
            "--metrics-format", "jsonl",
            "--json", Path.Combine(directory, "summary.json"),
        ];
    }

    /// <summary>Threads per trial (per worker of a trial that is a local job): as given, or an equal share of the cores.</summary>
    public int Threads(int parallel) =>
        FixedThreads > 0 ? FixedThreads : Math.Max(1, Environment.ProcessorCount / (parallel * Math.Max(1, Workers)));

    /// <summary>The settings an in-process trial runs with: its arguments read exactly as `train` reads them.</summary>
    public TrainSettings Read(string[] arguments)
    {
        var parsed = _parser.Parse(arguments);
        return parsed.Errors.Count == 0 ? _train.Read(parsed) : throw new UsageException(parsed.Errors[0].Message);
    }

    /// <summary>The command line to print and record, quoted where a value has spaces.</summary>
    public static string Display(IEnumerable<string> arguments) =>
        string.Join(' ', arguments.Prepend("train").Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    private void Check(ParameterSpec spec)
    {
        var option = _train.All.FirstOrDefault(o => o.Name == "--" + spec.Name);
        if (option is null)
        {
            var names = _train.All.Except(Owned).Select(o => o.Name[2..]);
            throw new UsageException($"unknown parameter '{spec.Name}' (expected a train flag without dashes: {string.Join(", ", names)})");
        }

        if (Owned.Contains(option))
        {
            throw new UsageException($"--param {spec.Name}: the sweep gives every trial its own output files; {option.Name} cannot be swept");
        }

        var type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        var numeric = type == typeof(double) || type == typeof(float);
        var integral = type == typeof(int) || type == typeof(long) || type == typeof(ulong);
        if ((spec.Kind is SpecKind.Uniform or SpecKind.Log && !numeric) || (spec.Kind == SpecKind.IntRange && !numeric && !integral))
        {
            throw new UsageException($"--param {spec}: {option.Name} takes {(type == typeof(string) ? "a name" : type.Name.ToLowerInvariant())}, not a number range; give a list");
        }

        var samples = spec.Enumerable ? spec.Values : [spec.At(0), spec.At(0.999999)];
        foreach (var value in samples)
        {
            var parsed = _parser.Parse([option.Name, value]);
            if (parsed.Errors.Count > 0)
            {
                throw new UsageException($"--param {spec.Name}: '{value}' is not a value of {option.Name} ({parsed.Errors[0].Message})");
            }
        }
    }
}
