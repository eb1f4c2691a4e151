using System.Security.Cryptography;

namespace Distributed.Core.Checkpoints;

/// <summary>
/// Writes a file so that a reader sees the old contents or the new, never half of them, and nothing is left behind
/// when the write fails. The bytes go to a temporary file with a fresh random name in the target's directory,
/// created exclusively (O_CREAT|O_EXCL: a name someone planted, a symlink included, is refused rather than
/// followed), flushed to the disk, and renamed over the target, which replaces the target's directory entry
/// instead of writing through a link. Any failure removes the temporary file.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = TemporaryName(full);
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.None))
            {
                write(file);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Throws <see cref="IOException"/> in one line when <paramref name="path"/> could not be written later: its
    /// directory cannot be created, a file cannot be created in it, or the path is a directory. Called before a run
    /// starts, so a bad --save or --json is reported before hours of training, not after.
    /// </summary>
    public static void CheckWritable(string path, string what)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw new IOException($"{what} {path} is a directory");
        }

        CheckWritableDirectory(Path.GetDirectoryName(full)!, what, path);
    }

    /// <summary>As <see cref="CheckWritable"/> for a directory the run will write files into.</summary>
    public static void CheckWritableDirectory(string directory, string what, string? shown = null)
    {
        shown ??= directory;
        try
        {
            Directory.CreateDirectory(directory);
            var probe = TemporaryName(Path.Combine(Path.GetFullPath(directory), "probe"));
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{what} {shown} cannot be written: {ex.Message}", ex);
        }
    }

    /// <summary>A name beside <paramref name="full"/> that no one can guess: a planted file or link cannot be waiting there.</summary>
    private static string TemporaryName(string full) =>
        Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Removing the leftover is a courtesy; the write's own error is the one to report.
        }
    }
}
