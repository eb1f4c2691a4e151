using System.CommandLine;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Layers;
using Distributed.Core.Models;
using Distributed.Core.Optimizers;
using Distributed.Core.Training;

namespace Distributed.Coordinator.Cli;

/// <summary>`train`: one process trains a model on a data set and reports loss, accuracy and throughput.</summary>
internal static class TrainCommand
{
    public static Command Create(TextWriter output)
    {
        var o = new TrainOptionsSet();
        var command = new Command("train", "Train a model (linreg, mlp, cnn) on MNIST, CIFAR-10, CSV or synthetic data.");
        foreach (var option in o.All)
        {
            command.Add(option);
        }

        command.SetAction(parsed => Run(o, parsed, output));
        return command;
    }

    private static int Run(TrainOptionsSet o, ParseResult r, TextWriter output)
    {
        var job = Setup(o, r);
        output.WriteLine($"backend: {job.Model.Backend.Name}");
        output.WriteLine($"data: {job.Data.Description}");
        output.WriteLine($"model {job.Model.Name}: {job.Model.Parameters.Count:N0} parameters");
        foreach (var line in job.Model.Network.Describe().Split(Environment.NewLine))
        {
            output.WriteLine($"  {line}");
        }

        output.WriteLine($"optimizer: {job.Optimizer.Name} {job.OptimizerSettings.Describe()}, schedule {job.ScheduleSettings.Describe()}, batch {job.Options.BatchSize}, {job.Options.Epochs} epochs, seed {job.Options.Seed}");

        using var metrics = job.OutDir is null ? null : new MetricsFiles(job.OutDir, job.MetricsFormat);
        var trainer = new Trainer(job.Model, job.Optimizer, job.Options, job.Data.Train.TargetLength);
        trainer.StepCompleted += s => metrics?.Step(s);
        trainer.EpochCompleted += e =>
        {
            metrics?.Epoch(e);
            output.WriteLine(ConsoleReport.Epoch(e, job.Options.Epochs));
        };

        var result = trainer.Fit(job.Data.Train, job.Data.Test);
        output.WriteLine(ConsoleReport.Final(result));
        if (job.Model.Parameters.Count <= 16)
        {
            output.WriteLine($"parameters: {string.Join(", ", job.Model.Parameters.Values.ToArray().Select(v => v.ToString("G7", System.Globalization.CultureInfo.InvariantCulture)))}");
        }

        if (job.JsonPath is not null)
        {
            RunSummary.From(job, result).Write(job.JsonPath);
        }

        return CliApp.Ok;
    }

    /// <summary>Everything that can be wrong with the input is found here, before the first step.</summary>
    private static TrainJob Setup(TrainOptionsSet o, ParseResult r)
    {
        try
        {
            var modelName = r.GetValue(o.Model)!;
            if (!ModelZoo.Names.Contains(modelName))
            {
                throw new UsageException($"unknown model '{modelName}' (expected one of: {string.Join(", ", ModelZoo.Names)})");
            }

            var options = new TrainOptions(r.GetValue(o.Epochs), r.GetValue(o.BatchSize), r.GetValue(o.Seed), EvalBatchSize: 256);
            options.Validate();
            var optimizerSettings = o.ToOptimizerSettings(r);
            var scheduleSettings = o.ToScheduleSettings(r);
            var format = r.GetValue(o.MetricsFormat)!;
            if (format is not ("csv" or "jsonl"))
            {
                throw new UsageException($"unknown metrics format '{format}' (expected csv or jsonl)");
            }

            var init = r.GetValue(o.Init) switch
            {
                "he" => Initializer.He,
                "xavier" => Initializer.Xavier,
                var other => throw new UsageException($"unknown initialisation '{other}' (expected he or xavier)"),
            };
            var threads = r.GetValue(o.Threads);
            ArgumentOutOfRangeException.ThrowIfNegative(threads, "threads");

            // Fail on optimizer and schedule flags before spending time reading data.
            var probe = new Core.Tensors.Tensor(1);
            optimizerSettings.Create(new CpuBackend(1), probe, new Core.Tensors.Tensor(1), scheduleSettings.Create(1));

            var classifier = modelName != "linreg";
            var syntheticShape = modelName switch { "cnn" => new[] { 3, 32, 32 }, "mlp" => [784], _ => [1] };
            var data = DataSources.Load(r.GetValue(o.Data), r.GetValue(o.TestData), classifier, syntheticShape, r.GetValue(o.SyntheticSamples), options.Seed);
            if (!classifier && data.Train.Classes != 0)
            {
                throw new UsageException($"linreg needs regression targets, but {data.Description} has class labels");
            }

            var backend = new CpuBackend(threads);
            var outputs = classifier ? data.Train.Classes : data.Train.TargetLength;
            var model = ModelZoo.Create(modelName, data.Train.SampleShape, outputs, backend, new ModelOptions(options.Seed, init, r.GetValue(o.Dropout)));
            var totalSteps = (long)options.Epochs * ((data.Train.Count + options.BatchSize - 1) / options.BatchSize);
            var schedule = scheduleSettings.Create(totalSteps);
            var optimizer = optimizerSettings.Create(backend, model.Parameters.Values, model.Parameters.Gradients, schedule);
            return new TrainJob(model, optimizer, optimizerSettings, scheduleSettings, options, data, r.GetValue(o.Out), format, r.GetValue(o.Json));
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(CliApp.OneLine(ex));
        }
    }
}
