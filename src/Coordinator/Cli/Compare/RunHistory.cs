using System.Globalization;
using System.Text.Json;
using Distributed.Core.Data;

namespace Distributed.Coordinator.Cli;

/// <summary>One point of a run's loss curve: the loss a step reported (measured as it began) and the seconds of training and passes over the data spent before it.</summary>
internal readonly record struct RunPoint(long Step, double Loss, double Seconds, double Passes);

/// <summary>
/// A finished run's loss curve, read back from its `train --out DIR` (steps.csv or steps.jsonl). A pass is one
/// evaluation of the loss and gradient over the whole training set: for a full-batch method each evaluation and each
/// Hessian-vector product its steps report; for mini-batches, the samples of its steps over the samples of an epoch
/// (the first epoch's batch sizes summed).
/// </summary>
internal sealed record RunHistory(string Name, IReadOnlyList<RunPoint> Points)
{
    public static RunHistory Read(string directory)
    {
        var csv = Path.Combine(directory, "steps.csv");
        var jsonl = Path.Combine(directory, "steps.jsonl");
        var rows = File.Exists(csv) ? ReadCsv(csv) : File.Exists(jsonl) ? ReadJsonLines(jsonl) : throw new DataFormatException($"{directory}: no steps.csv or steps.jsonl (a `train --out {directory}` run)");
        if (rows.Count == 0)
        {
            throw new DataFormatException($"{directory}: the run recorded no steps");
        }

        var epochSamples = rows.Where(r => r.Epoch == rows[0].Epoch).Sum(r => (double)r.Batch);
        double seconds = 0, passes = 0;
        var points = new List<RunPoint>(rows.Count);
        foreach (var row in rows)
        {
            points.Add(new RunPoint(row.Step, row.Loss, seconds, passes));
            seconds += row.Seconds;
            passes += row.Evaluations is { } evaluations ? evaluations + (row.HessianProducts ?? 0) : row.Batch / epochSamples;
        }

        // The end of the last step: its cost is spent, and the loss it reached is not recorded, so the curve ends flat.
        points.Add(points[^1] with { Seconds = seconds, Passes = passes });

        return new RunHistory(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory))), points);
    }

    private readonly record struct Row(int Epoch, long Step, double Loss, int Batch, double Seconds, double? Evaluations, double? HessianProducts);

    private static List<Row> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        var header = lines.FirstOrDefault()?.Split(',') ?? [];
        int Column(string name, bool required = true)
        {
            var i = Array.IndexOf(header, name);
            return i >= 0 || !required ? i : throw new DataFormatException($"{path}: no '{name}' column in the header");
        }

        var (epoch, step, loss, batch, seconds) = (Column("epoch"), Column("step"), Column("loss"), Column("batch_size"), Column("seconds"));
        var (evaluations, products) = (Column("evaluations", false), Column("hessian_products", false));
        var rows = new List<Row>();
        for (var n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0)
            {
                continue;
            }

            var cells = lines[n].Split(',');
            double Cell(int i) => i < cells.Length && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                ? v
                : throw new DataFormatException($"{path}:{n + 1}: column {i + 1} is not a number");
            rows.Add(new Row((int)Cell(epoch), (long)Cell(step), Cell(loss), (int)Cell(batch), Cell(seconds), evaluations >= 0 ? Cell(evaluations) : null, products >= 0 ? Cell(products) : null));
        }

        return rows;
    }

    private static List<Row> ReadJsonLines(string path)
    {
        var rows = new List<Row>();
        var n = 0;
        foreach (var line in File.ReadLines(path))
        {
            n++;
            if (line.Length == 0)
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                var o = document.RootElement;
                double? Optional(string name) => o.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;
                rows.Add(new Row(o.GetProperty("epoch").GetInt32(), o.GetProperty("step").GetInt64(), o.GetProperty("loss").GetDouble(), o.GetProperty("batch_size").GetInt32(), o.GetProperty("seconds").GetDouble(), Optional("evaluations"), Optional("hessian_products")));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new DataFormatException($"{path}:{n}: not a step record ({ex.Message})", ex);
            }
        }

        return rows;
    }
}
