using System.CommandLine;
using System.Globalization;
using Distributed.Core.Compute;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Core.Models.Description;
using Distributed.Core.Optimizers;
using Distributed.Core.Schedules;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// The training flags: each bound once to its <see cref="TrainSettings"/> value, so reading flags into settings,
/// a flag's default, and writing settings back out as a worker's or a pod's flags all come from one line per flag.
/// </summary>
internal sealed class TrainOptionsSet
{
    private static readonly TrainSettings Defaults = new();

    private readonly List<IBinding> _bindings = [];

    public TrainOptionsSet()
    {
        Bind("--model", $"{string.Join(" | ", ModelZoo.Names)}, a network such as \"conv(32,3,pad=1) relu maxpool(2) flatten linear(128) gelu dropout(0.2) linear(10)\" (layers: {string.Join(", ", LayerKind.All.Select(k => k.Signature()))}), or @file holding one",
            s => s.Model, (s, v) => s with { Model = v });
        Bind("--loss", $"auto | {string.Join(" | ", LossKinds.Names)} (auto: the built-in model's own; cross-entropy for a described network)", s => s.Loss, (s, v) => s with { Loss = v });
        Bind("--data", "MNIST IDX dir, CIFAR-10 dir, CSV file, 'synthetic' or 'builtin' (default: bundled MNIST; linreg: builtin)", s => s.Data, (s, v) => s with { Data = v });
        Bind("--test-data", "held-out CSV file (MNIST and CIFAR-10 directories bring their own test set)", s => s.TestData, (s, v) => s with { TestData = v });
        Bind("--synthetic-samples", "training samples for --data synthetic", s => s.SyntheticSamples, (s, v) => s with { SyntheticSamples = v });
        Bind("--optimizer", $"{string.Join(" | ", OptimizerSettings.AllNames)} (lbfgs, cg, newton: full batch, one iteration per epoch)", s => s.Optimizer.Name, (s, v) => s with { Optimizer = s.Optimizer with { Name = v } });
        Bind("--lr", "base learning rate", s => s.Optimizer.Lr, (s, v) => s with { Optimizer = s.Optimizer with { Lr = v } });
        Bind("--momentum", "SGD/RMSProp momentum μ (momentum and nesterov default to 0.9)", s => s.Optimizer.Momentum, (s, v) => s with { Optimizer = s.Optimizer with { Momentum = v } });
        Bind("--dampening", "SGD momentum dampening τ", s => s.Optimizer.Dampening, (s, v) => s with { Optimizer = s.Optimizer with { Dampening = v } });
        Bind("--nesterov", "Nesterov momentum for SGD", s => s.Optimizer.Nesterov, (s, v) => s with { Optimizer = s.Optimizer with { Nesterov = v } });
        Bind("--weight-decay", "L2 coefficient λ (decoupled for adamw, default 0.01 there; coupled elsewhere, default 0)", s => s.Optimizer.WeightDecay, (s, v) => s with { Optimizer = s.Optimizer with { WeightDecay = v } });
        Bind("--l1", "L1 regularisation coefficient", s => s.Optimizer.L1, (s, v) => s with { Optimizer = s.Optimizer with { L1 = v } });
        Bind("--clip-norm", "clip gradients to this global L2 norm", s => s.Optimizer.MaxGradNorm, (s, v) => s with { Optimizer = s.Optimizer with { MaxGradNorm = v } });
        Bind("--beta1", "Adam β1", s => s.Optimizer.Beta1, (s, v) => s with { Optimizer = s.Optimizer with { Beta1 = v } });
        Bind("--beta2", "Adam β2", s => s.Optimizer.Beta2, (s, v) => s with { Optimizer = s.Optimizer with { Beta2 = v } });
        Bind("--eps", "ε in the denominator (adam/rmsprop 1e-8, adagrad 1e-10)", s => s.Optimizer.Epsilon, (s, v) => s with { Optimizer = s.Optimizer with { Epsilon = v } });
        Bind("--amsgrad", "AMSGrad variant of Adam/AdamW", s => s.Optimizer.AmsGrad, (s, v) => s with { Optimizer = s.Optimizer with { AmsGrad = v } });
        Bind("--alpha", "RMSProp smoothing constant α", s => s.Optimizer.Alpha, (s, v) => s with { Optimizer = s.Optimizer with { Alpha = v } });
        Bind("--centered", "centered RMSProp", s => s.Optimizer.Centered, (s, v) => s with { Optimizer = s.Optimizer with { Centered = v } });
        Bind("--initial-accumulator", "AdaGrad starting sum", s => s.Optimizer.InitialAccumulator, (s, v) => s with { Optimizer = s.Optimizer with { InitialAccumulator = v } });
        Bind("--history", "L-BFGS curvature pairs kept (10)", s => s.Optimizer.History, (s, v) => s with { Optimizer = s.Optimizer with { History = v } });
        Bind("--lr-schedule", string.Join(" | ", ScheduleSettings.Names), s => s.Schedule.Name, (s, v) => s with { Schedule = s.Schedule with { Name = v } });
        Bind("--lr-step-size", "steps between decays (step schedule)", s => s.Schedule.StepSize, (s, v) => s with { Schedule = s.Schedule with { StepSize = v } });
        Bind("--lr-gamma", "decay factor (step, exponential)", s => s.Schedule.Gamma, (s, v) => s with { Schedule = s.Schedule with { Gamma = v } });
        Bind("--lr-min", "floor of the cosine schedule", s => s.Schedule.MinLr, (s, v) => s with { Schedule = s.Schedule with { MinLr = v } });
        Bind("--warmup-steps", "linear warm-up steps before the schedule", s => s.Schedule.WarmupSteps, (s, v) => s with { Schedule = s.Schedule with { WarmupSteps = v } });
        Bind("--dropout", "dropout probability after hidden layers (mlp, cnn)", s => s.Dropout, (s, v) => s with { Dropout = v });
        Bind("--init", "he | xavier weight initialisation", s => s.Init, (s, v) => s with { Init = v });
        Bind("--epochs", "passes over the training set (lbfgs, cg, newton: iterations)", s => s.Epochs, (s, v) => s with { Epochs = v });
        Bind("--batch-size", "samples per optimizer step (the global batch, split among workers)", s => s.BatchSize, (s, v) => s with { BatchSize = v });
        Bind("--accumulate", "K: each optimizer step sums the gradients of K batches of --batch-size (in K forward/backward passes, one reduction among workers), as one batch K times larger would", s => s.Accumulate, (s, v) => s with { Accumulate = v });
        Bind("--seed", "seed for initialisation, shuffling, dropout and synthetic data", s => s.Seed, (s, v) => s with { Seed = v });
        Bind("--device", "auto | cuda | cpu | ilgpu-cpu: where gradients are computed (auto: an NVIDIA GPU that passes a smoke kernel, else the CPU; ilgpu-cpu: the GPU code on ILGPU's CPU accelerator, slow, for checking it without a GPU); every worker of a job must ask for the same",
            s => s.Device, (s, v) => s with { Device = v });
        Bind("--zero", "ZeRO stage: 0 all-reduce, 1 shard optimizer state, 2 also shard gradients (default: 2, and 0 for lbfgs, cg and newton)", s => s.Zero, (s, v) => s with { Zero = v });
        Bind("--bucket-mb", "gradient bucket size in MB (reduced while backward continues)", s => s.BucketMb, (s, v) => s with { BucketMb = v });
        Bind("--transport", "auto | shm | grpc: ring links between ranks on one host through shared memory, between hosts through gRPC (auto); grpc everywhere; shared memory or fail", s => s.Transport, (s, v) => s with { Transport = v });
        Bind("--chunk-kb", "ring chunk size in KB (several in flight per link)", s => s.ChunkKb, (s, v) => s with { ChunkKb = v });
        Bind("--peer-timeout", "seconds a rank may stay silent before the job fails", s => s.PeerTimeoutSeconds, (s, v) => s with { PeerTimeoutSeconds = v });
        Bind("--join-timeout", "seconds to wait for all workers to join", s => s.JoinTimeoutSeconds, (s, v) => s with { JoinTimeoutSeconds = v });
        Bind("--save", "write the final parameters to this file (rank 0 in a distributed run)", s => s.Save, (s, v) => s with { Save = v });
        Bind("--on-nonfinite", "stop | skip: a step whose gradient is NaN or infinite ends training naming the step (stop), or changes nothing and is counted (skip)", s => s.OnNonFinite, (s, v) => s with { OnNonFinite = v });
        Bind("--max-skips", "with --on-nonfinite skip, stop once more steps than this were skipped", s => s.MaxSkips, (s, v) => s with { MaxSkips = v });
        CheckpointDir = Bind("--checkpoint-dir", "write checkpoints here (each rank its own shard), at every epoch's end and every --checkpoint-every steps", s => s.CheckpointDir, (s, v) => s with { CheckpointDir = v });
        CheckpointEvery = Bind("--checkpoint-every", "optimizer steps between checkpoints (0: only at epoch ends)", s => s.CheckpointEvery, (s, v) => s with { CheckpointEvery = v });
        KeepCheckpoints = Bind("--keep-checkpoints", "newest checkpoints kept", s => s.KeepCheckpoints, (s, v) => s with { KeepCheckpoints = v });
        MaxRestarts = Bind("--max-restarts", "when a worker dies or stops answering, start every rank again from the newest checkpoint, at most this many times (0: fail at once)", s => s.MaxRestarts, (s, v) => s with { MaxRestarts = v });
        MinWorkers = Bind("--min-workers", "with --max-restarts: when a rank has not come back after a restart, go on with the ranks that did, if at least this many (resharded, same global batch; default: every rank)", s => s.MinWorkers, (s, v) => s with { MinWorkers = v });
        RejoinTimeout = Bind("--rejoin-timeout", "with --min-workers: once that many ranks are back after a restart, seconds the others have to rejoin before the job goes on without them", s => s.RejoinTimeoutSeconds, (s, v) => s with { RejoinTimeoutSeconds = v });
        Resume = Bind("--resume", "continue from a checkpoint, or from the newest intact one in a checkpoint directory (any worker count and ZeRO stage)", s => s.Resume, (s, v) => s with { Resume = v });
        Bind("--threads", "CPU threads (default: all cores, split among local workers)", s => s.Threads, (s, v) => s with { Threads = v });
        Out = Bind("--out", "directory for per-step and per-epoch metrics, and a plot", s => s.Out, (s, v) => s with { Out = v });
        MetricsFormat = Bind("--metrics-format", "csv | jsonl", s => s.MetricsFormat, (s, v) => s with { MetricsFormat = v });
        Json = Bind("--json", "write a summary object to this file", s => s.Json, (s, v) => s with { Json = v });
    }

    public Option Out { get; }

    public Option MetricsFormat { get; }

    public Option Json { get; }

    public Option CheckpointDir { get; }

    public Option CheckpointEvery { get; }

    public Option KeepCheckpoints { get; }

    public Option Resume { get; }

    public Option MaxRestarts { get; }

    public Option MinWorkers { get; }

    public Option RejoinTimeout { get; }

    /// <summary>Every training flag.</summary>
    public IEnumerable<Option> All => _bindings.Select(b => b.Option);

    /// <summary>
    /// What a worker (or a pod, which runs one) reads: everything but this process's own output files, and the
    /// checkpoint flags, which the coordinator acts on (it tells each rank where to write and what to load).
    /// </summary>
    public IEnumerable<Option> ForWorker => All.Except([Out, MetricsFormat, Json, .. Checkpointing]);

    /// <summary>The flags of checkpoints, resume and restarts: a coordinator's (or a single process's) to act on.</summary>
    public IEnumerable<Option> Checkpointing => [CheckpointDir, CheckpointEvery, KeepCheckpoints, Resume, MaxRestarts, MinWorkers, RejoinTimeout];

    public TrainSettings Read(ParseResult r)
    {
        var settings = Defaults;
        foreach (var binding in _bindings)
        {
            settings = binding.Read(r, settings);
        }

        return settings;
    }

    /// <summary>
    /// The flags that give <paramref name="settings"/> to a launched worker: every value that differs from its
    /// default, except this process's output files.
    /// </summary>
    public IEnumerable<string> WorkerArguments(TrainSettings settings) =>
        Given(settings, ForWorker).SelectMany(flag => flag.Values.Prepend(flag.Name));

    /// <summary>Each of <paramref name="options"/> whose value in <paramref name="settings"/> differs from its default, as a flag and its values.</summary>
    public IEnumerable<(string Name, string[] Values)> Given(TrainSettings settings, IEnumerable<Option> options)
    {
        var wanted = options.ToHashSet();
        foreach (var binding in _bindings.Where(b => wanted.Contains(b.Option)))
        {
            var written = binding.Write(settings).ToArray();
            if (written.Length > 0)
            {
                yield return (written[0], written[1..]);
            }
        }
    }

    private Option<T> Bind<T>(string name, string description, Func<TrainSettings, T> get, Func<TrainSettings, T, TrainSettings> set)
    {
        var fallback = get(Defaults);
        var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => fallback };
        _bindings.Add(new Binding<T>(option, get, set, fallback));
        return option;
    }

    private interface IBinding
    {
        Option Option { get; }

        TrainSettings Read(ParseResult r, TrainSettings settings);

        IEnumerable<string> Write(TrainSettings settings);
    }

    private sealed record Binding<T>(Option<T> Typed, Func<TrainSettings, T> Get, Func<TrainSettings, T, TrainSettings> Set, T Fallback) : IBinding
    {
        public Option Option => Typed;

        /// <summary>A flag the command does not offer (a worker has no --out) keeps its default.</summary>
        public TrainSettings Read(ParseResult r, TrainSettings settings) => r.GetResult(Typed) is null ? settings : Set(settings, r.GetValue(Typed)!);

        public IEnumerable<string> Write(TrainSettings settings)
        {
            var value = Get(settings);
            if (EqualityComparer<T>.Default.Equals(value, Fallback) || value is null)
            {
                return [];
            }

            return value switch
            {
                bool => [Option.Name],
                double d => [Option.Name, d.ToString("R", CultureInfo.InvariantCulture)],
                float f => [Option.Name, f.ToString("R", CultureInfo.InvariantCulture)],
                IFormattable x => [Option.Name, x.ToString(null, CultureInfo.InvariantCulture)],
                _ => [Option.Name, value.ToString()!],
            };
        }
    }
}
