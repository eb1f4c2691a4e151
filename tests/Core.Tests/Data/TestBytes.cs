using Distributed.Core.Data;
using Distributed.Core.Tensors;

namespace Distributed.Core.Tests.Data;

/// <summary>Deterministic bytes for writing test files, and helpers for damaging them.</summary>
internal static class TestBytes
{
    public static byte[] Random(int length, ulong seed, int below = 256)
    {
        var rng = new Rng(seed);
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)rng.NextInt(below);
        }

        return bytes;
    }

    /// <summary>Cuts <paramref name="bytes"/> bytes off the end of a file.</summary>
    public static void Truncate(string path, int bytes)
    {
        var data = File.ReadAllBytes(path);
        File.WriteAllBytes(path, data[..^bytes]);
    }

    public static void Append(string path, int bytes) => File.AppendAllText(path, new string('x', bytes));

    public static void Patch(string path, int offset, params byte[] values)
    {
        var data = File.ReadAllBytes(path);
        values.CopyTo(data, offset);
        File.WriteAllBytes(path, data);
    }

    /// <summary>Asserts that <paramref name="action"/> fails with a one-line message naming <paramref name="path"/> and returns the message.</summary>
    public static string Fails(Action action, string path)
    {
        var ex = Assert.Throws<DataFormatException>(action);
        Assert.Contains(path, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        return ex.Message;
    }
}
