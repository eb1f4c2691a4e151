using System.Globalization;

namespace Distributed.Coordinator.Cli;

/// <summary>Message sizes such as "1KB", "4MB", "100MB" (binary units: 1 KB = 1024 bytes).</summary>
internal static class ByteSizes
{
    public static IReadOnlyList<long> ParseList(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse).ToArray() is { Length: > 0 } sizes
            ? sizes
            : throw new UsageException("no sizes given");

    public static long Parse(string text)
    {
        var t = text.Trim().ToUpperInvariant();
        var (digits, scale) = t switch
        {
            _ when t.EndsWith("GB", StringComparison.Ordinal) => (t[..^2], 1L << 30),
            _ when t.EndsWith("MB", StringComparison.Ordinal) => (t[..^2], 1L << 20),
            _ when t.EndsWith("KB", StringComparison.Ordinal) => (t[..^2], 1L << 10),
            _ when t.EndsWith('B') => (t[..^1], 1L),
            _ => (t, 1L),
        };
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || value * scale > (1L << 31))
        {
            throw new UsageException($"'{text}' is not a size between 4 B and 2 GB (write it like 1KB, 4MB)");
        }

        return Math.Max(sizeof(float), (long)(value * scale) / sizeof(float) * sizeof(float));
    }

    public static string Format(long bytes) => bytes switch
    {
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.##} MB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 10):0.##} KB"),
        _ => $"{bytes} B",
    };
}
