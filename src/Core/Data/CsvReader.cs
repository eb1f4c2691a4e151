using System.Globalization;
using System.Text;

namespace Distributed.Core.Data;

/// <summary>
/// Plain numeric CSV: each line is feature1,…,featureN,target. Blank lines are skipped, cells are trimmed, numbers
/// use the invariant culture (a '.' decimal point whatever the machine's locale), and line 1 may be a header,
/// recognised when none of its cells is a number. No quoting: a data file needing it is not numeric anyway.
/// Any problem is a one-line <see cref="DataFormatException"/> naming the file and line.
/// </summary>
public static class CsvReader
{
    /// <param name="classes">Number of classes for classification (targets must be integers in [0, classes));
    /// null for regression.</param>
    public static Dataset Read(string path, int? classes)
    {
        if (classes is { } c)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, nameof(classes));
        }

        var features = new List<float>();
        var targets = new List<float>();
        var columns = 0;
        var firstDataLine = 0;
        var headerColumns = 0;
        float[] row = [];

        using var reader = Open(path);
        var lineNumber = 0;
        while (ReadLine(reader, path, lineNumber) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var cells = line.Split(',');
            if (lineNumber == 1 && cells.All(cell => !TryParse(cell.Trim(), out _)))
            {
                headerColumns = cells.Length;
                continue;
            }

            if (columns == 0)
            {
                columns = cells.Length;
                firstDataLine = lineNumber;
                if (columns < 2)
                {
                    throw new DataFormatException($"{path} line {lineNumber}: 1 cell; need at least one feature and a target (is the separator a comma?)");
                }

                if (headerColumns != 0 && headerColumns != columns)
                {
                    throw new DataFormatException($"{path} line 1: header has {headerColumns} cells but line {lineNumber} has {columns}");
                }

                row = new float[columns];
            }
            else if (cells.Length != columns)
            {
                throw new DataFormatException($"{path} line {lineNumber}: {cells.Length} cells but line {firstDataLine} has {columns}");
            }

            for (var i = 0; i < cells.Length; i++)
            {
                row[i] = ParseCell(cells[i].Trim(), path, lineNumber, i + 1);
            }

            var target = row[^1];
            if (classes is { } k && (target != MathF.Floor(target) || target < 0 || target >= k))
            {
                throw new DataFormatException(
                    $"{path} line {lineNumber}: target {cells[^1].Trim()} is not a class index in 0..{k - 1}");
            }

            features.AddRange(row.AsSpan(0, columns - 1));
            targets.Add(target);
        }

        if (targets.Count == 0)
        {
            throw new DataFormatException($"{path}: no data rows{(headerColumns != 0 ? " after the header" : "")}");
        }

        return new Dataset(Path.GetFileNameWithoutExtension(path), [columns - 1], [.. features], [.. targets],
            targetLength: 1, classes ?? 0);
    }

    /// <summary>Writes a header (f0,…,fN-1,target) and one line per sample, flattening each sample; round-trips exactly.</summary>
    public static void Write(string path, Dataset data)
    {
        if (data.TargetLength != 1)
        {
            throw new ArgumentException($"{data.Name}: CSV holds one target per sample, this data has {data.TargetLength}", nameof(data));
        }

        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        writer.NewLine = "\n";
        var line = new StringBuilder();
        for (var j = 0; j < data.SampleLength; j++)
        {
            line.Append('f').Append(j.ToString(CultureInfo.InvariantCulture)).Append(',');
        }

        writer.WriteLine(line.Append("target"));
        for (var s = 0; s < data.Count; s++)
        {
            line.Clear();
            foreach (var value in data.Features.AsSpan(s * data.SampleLength, data.SampleLength))
            {
                line.Append(value.ToString(CultureInfo.InvariantCulture)).Append(',');
            }

            writer.WriteLine(line.Append(data.Targets[s].ToString(CultureInfo.InvariantCulture)));
        }
    }

    private static StreamReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException($"{path}: file not found");
        }

        try
        {
            return new StreamReader(path, detectEncodingFromByteOrderMarks: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException($"{path}: cannot open ({DataFile.OneLine(ex.Message)})", ex);
        }
    }

    private static string? ReadLine(StreamReader reader, string path, int linesRead)
    {
        try
        {
            return reader.ReadLine();
        }
        catch (IOException ex)
        {
            throw new DataFormatException($"{path} line {linesRead + 1}: read failed ({DataFile.OneLine(ex.Message)})", ex);
        }
    }

    /// <summary>Infinities and NaN parse as floats but are rejected: one would silently poison every gradient.</summary>
    private static bool TryParse(string cell, out float value) =>
        float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && float.IsFinite(value);

    private static float ParseCell(string cell, string path, int line, int column)
    {
        if (TryParse(cell, out var value))
        {
            return value;
        }

        var what = float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? "a finite number" : "a number";
        throw new DataFormatException($"{path} line {line}, column {column}: '{cell}' is not {what}");
    }
}
