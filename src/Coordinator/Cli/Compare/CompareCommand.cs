using System.CommandLine;
using Distributed.Coordinator.Telemetry;

namespace Distributed.Coordinator.Cli;

/// <summary>`compare RUN…`: the training loss of several `train --out` runs on one chart, against seconds of training, passes over the data, or step.</summary>
internal static class CompareCommand
{
    private static readonly string[] Axes = ["seconds", "passes", "step"];

    public static Command Create(TextWriter output)
    {
        var runs = new Argument<string[]>("RUN") { Description = "directories that `train --out` wrote", Arity = ArgumentArity.OneOrMore };
        var x = new Option<string>("--x") { Description = "seconds | passes | step: the horizontal axis (passes: evaluations of the whole set's loss and gradient)", DefaultValueFactory = _ => "passes" };
        var title = new Option<string>("--title") { Description = "the chart's title", DefaultValueFactory = _ => "training loss" };
        var path = new Option<string>("--out") { Description = "the chart: FILE.svg and FILE.png", Required = true };
        var log = new Option<bool>("--log") { Description = "a logarithmic loss axis (for losses spanning decades)" };
        var command = new Command("compare", "Draw the training loss of several `train --out` runs on one chart.") { runs, x, title, path, log };
        command.SetAction(r =>
        {
            var axis = r.GetValue(x)!;
            if (!Axes.Contains(axis))
            {
                throw new UsageException($"--x must be one of {string.Join(", ", Axes)}, got '{axis}'");
            }

            var histories = r.GetValue(runs)!.Select(RunHistory.Read).ToArray();
            var file = r.GetValue(path)!;
            Plots.WriteComparison(file, histories, axis, r.GetValue(title)!, r.GetValue(log));
            foreach (var h in histories)
            {
                var last = h.Points[^1];
                output.WriteLine($"{h.Name}: {h.Points.Count - 1} steps, last reported loss {last.Loss:G7}, {last.Passes:0.#} passes and {last.Seconds:0.0} s in all");
            }

            output.WriteLine($"chart: {Path.ChangeExtension(file, ".svg")} and .png");
            return CliApp.Ok;
        });
        return command;
    }
}
