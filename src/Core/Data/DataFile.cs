using System.IO.Compression;

namespace Distributed.Core.Data;

/// <summary>
/// A data file opened for sequential reading, gunzipped on the fly when it starts with the gzip magic bytes.
/// The magic decides, not the name: mirrors ship ".gz" files that a browser already decompressed, and raw files
/// renamed by hand. Every open, read or decompression failure becomes a one-line <see cref="DataFormatException"/>
/// naming the file, so callers only reason about lengths.
/// </summary>
internal sealed class DataFile : IDisposable
{
    private const int BufferSize = 1 << 16;

    private readonly FileStream _file;
    private readonly Stream _stream;

    private DataFile(string path, FileStream file, bool isGzip)
    {
        Path = path;
        _file = file;
        IsGzip = isGzip;
        _stream = isGzip ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    public string Path { get; }

    public bool IsGzip { get; }

    /// <summary>Bytes handed out so far, counted after decompression.</summary>
    public long Position { get; private set; }

    /// <summary>Size on disk; for a raw file also the number of bytes <see cref="Read"/> can return in all.</summary>
    public long LengthOnDisk => _file.Length;

    public static DataFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new DataFormatException(Directory.Exists(path) ? $"{path}: is a directory, expected a file" : $"{path}: file not found");
        }

        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException($"{path}: cannot open ({OneLine(ex.Message)})", ex);
        }

        try
        {
            Span<byte> magic = stackalloc byte[2];
            var n = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
            file.Position = 0;
            return new DataFile(path, file, n == 2 && magic[0] == 0x1f && magic[1] == 0x8b);
        }
        catch (IOException ex)
        {
            file.Dispose();
            throw new DataFormatException($"{path}: read failed ({OneLine(ex.Message)})", ex);
        }
    }

    /// <summary>Fills as much of <paramref name="buffer"/> as the file still holds; a short count means it ended.</summary>
    public int Read(Span<byte> buffer)
    {
        try
        {
            var n = _stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            Position += n;
            return n;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
        {
            throw new DataFormatException(
                $"{Path}: corrupt or truncated gzip stream after {Position} decompressed bytes ({OneLine(ex.Message)})", ex);
        }
        catch (IOException ex)
        {
            throw new DataFormatException($"{Path}: read failed after {Position} bytes ({OneLine(ex.Message)})", ex);
        }
    }

    /// <summary>
    /// How many bytes follow the current position. A gzip stream is read to its end to count them, which also
    /// makes the decompressor check the CRC trailer, so a damaged tail is reported rather than ignored.
    /// </summary>
    public long CountRemaining()
    {
        if (!IsGzip)
        {
            return _file.Length - Position;
        }

        var buffer = new byte[BufferSize];
        long total = 0;
        int n;
        while ((n = Read(buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    public void Dispose() => _stream.Dispose();

    internal static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
