using System.CommandLine;
using System.Globalization;
using Distributed.Core.Checkpoints;
using Distributed.Core.Compute.Cpu;
using Distributed.Core.Data;
using Distributed.Core.Inference;
using Distributed.Core.Losses;
using Distributed.Core.Models;
using Distributed.Onnx;

namespace Distributed.Coordinator.Cli;

/// <summary>
/// `predict`: runs a trained network on a data set: our parameter file with the network's description
/// (--model and --params), or an ONNX file that `train --export-onnx` wrote (--onnx). Writes one CSV row per
/// sample and prints the loss and, for a classifier, the accuracy against the labels.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(TextWriter output)
    {
        var defaults = new TrainSettings();
        var model = new Option<string?>("--model") { Description = "the network the parameters belong to: a built-in name, a description, or @file (with --params)" };
        var parameters = new Option<string?>("--params") { Description = "parameter file written by train --save" };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX file written by train --export-onnx (instead of --model and --params)" };
        var data = new Option<string?>("--data") { Description = "as for train; its test set is predicted where it has one, else the data itself" };
        var testData = new Option<string?>("--test-data") { Description = "a held-out CSV file to predict" };
        var loss = new Option<string>("--loss") { Description = "as for train: auto | mse | cross-entropy", DefaultValueFactory = _ => defaults.Loss };
        var outFile = new Option<string>("--out") { Description = "where to write the predictions (CSV)", DefaultValueFactory = _ => "predictions.csv" };
        var batch = new Option<int>("--batch-size") { Description = "samples per forward pass", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (default: all cores)" };
        var command = new Command("predict", "Run a trained network (a parameter file and its description, or an ONNX file from train --export-onnx) on a data set; write the predictions as CSV and report loss and accuracy.");
        command.WithOptions([model, parameters, onnx, data, testData, loss, outFile, batch, threads]);

        command.SetAction(parsed =>
        {
            try
            {
                return Run(parsed);
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(CliApp.OneLine(ex));
            }
        });
        return command;

        int Run(ParseResult parsed)
        {
            var (choice, values, fromOnnx) = Network(parsed.GetValue(model), parsed.GetValue(parameters), parsed.GetValue(onnx));
            var lossKind = choice.ResolveLoss(parsed.GetValue(loss)!);
            var classifier = lossKind == LossKind.CrossEntropy;
            var split = DataSources.Load(parsed.GetValue(data), parsed.GetValue(testData), classifier, fromOnnx ?? choice.SyntheticInputShape, defaults.SyntheticSamples, defaults.Seed);
            var set = split.Test ?? split.Train;
            if (fromOnnx is not null && !fromOnnx.SequenceEqual(set.SampleShape))
            {
                throw new UsageException($"the ONNX model takes samples of {string.Join('x', fromOnnx)}, but {split.Description} has {string.Join('x', set.SampleShape)}");
            }

            var outputs = classifier ? set.Classes : set.TargetLength;
            var network = choice.Create(set.SampleShape, outputs, lossKind, new CpuBackend(Limits.Threads(parsed.GetValue(threads))), new ModelOptions(defaults.Seed));
            if (values.Length != network.Parameters.Count)
            {
                throw new DataFormatException($"the parameter file holds {values.Length:N0} values, but {network.Name} has {network.Parameters.Count:N0} parameters");
            }

            values.CopyTo(network.Parameters.Values.Span);
            network.Backend.Upload(network.Parameters.Values);
            output.WriteLine($"model {network.Name}: {network.Parameters.Count:N0} parameters");
            output.WriteLine($"data: {split.Description}; predicting its {(split.Test is null ? "training" : "test")} set, {set.Count:N0} samples");
            var predictions = Predictor.Run(network, set, Math.Max(1, parsed.GetValue(batch)));
            var path = parsed.GetValue(outFile)!;
            Predictor.WriteCsv(predictions, set, classifier, path);
            output.WriteLine(predictions.Accuracy is { } accuracy
                ? FormattableString.Invariant($"accuracy {accuracy * 100:F2}%  loss {predictions.Loss:F4} (cross-entropy)")
                : FormattableString.Invariant($"loss {predictions.Loss:G6} (mse)"));
            output.WriteLine($"predictions: {path} ({predictions.Count.ToString("N0", CultureInfo.InvariantCulture)} rows)");
            return CliApp.Ok;
        }
    }

    /// <summary>The network and its trained values; the sample shape an ONNX file fixes (null for our own files, whose shape comes from the data).</summary>
    private static (ModelChoice Choice, float[] Values, int[]? OnnxShape) Network(string? model, string? parameters, string? onnx)
    {
        if (onnx is not null)
        {
            if (model is not null || parameters is not null)
            {
                throw new UsageException("--onnx brings its own network and parameters: give it without --model and --params");
            }

            var imported = OnnxImport.Read(onnx);
            return (ModelChoice.Parse(imported.Description.Text), imported.Parameters, imported.InputShape);
        }

        if (model is null || parameters is null)
        {
            throw new UsageException("predict needs --model and --params (what train --save wrote), or --onnx");
        }

        return (ModelChoice.Parse(model), ParameterFile.Read(parameters), null);
    }
}
