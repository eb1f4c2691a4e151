using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;

namespace Distributed.Core.Collectives.SharedMemory;

/// <summary>
/// One ring link's memory, shared by the two processes of the link: a file in /dev/shm (memory, not disk), created by
/// the receiving rank with a random name and owner-only permissions, mapped by both. The creator writes a random
/// nonce into it; the sender proves it mapped the very same segment, not a same-named file on another host, by
/// finding that nonce, which only the coordinator session told it. The name is unlinked as soon as the sender has
/// attached (the mapping lives on in both processes), so nothing is left behind even if both are killed later.
/// </summary>
internal sealed unsafe class ShmSegment : IDisposable
{
    public const int NonceBytes = 16;

    private const ulong Magic = 0x314D_4853_5050_4444; // "DDPPSHM1" little-endian
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private bool _disposed;

    private ShmSegment(string path, MemoryMappedFile file, MemoryMappedViewAccessor view, bool owner)
    {
        Path = path;
        _file = file;
        _view = view;
        Owner = owner;
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _base = pointer + view.PointerOffset;
    }

    public string Path { get; }

    /// <summary>Whether this process created the segment (and removes its name).</summary>
    public bool Owner { get; }

    public byte* Base => _base;

    public long Length => _view.Capacity;

    public ReadOnlySpan<byte> Nonce => new(_base + 8, NonceBytes);

    /// <summary>Where segments live: /dev/shm where it exists (tmpfs: memory), else the temporary directory.</summary>
    public static string Directory => System.IO.Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();

    /// <summary>Creates a segment of <paramref name="bytes"/> with a fresh random name and nonce, readable and writable by this user only.</summary>
    public static ShmSegment Create(long bytes)
    {
        var path = System.IO.Path.Combine(Directory, $"distributed-ring-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(path, options))
        {
            stream.SetLength(bytes);
        }

        var segment = Map(path, owner: true);
        *(ulong*)segment._base = Magic;
        RandomNumberGenerator.Fill(new Span<byte>(segment._base + 8, NonceBytes));
        return segment;
    }

    /// <summary>
    /// Maps another process's segment, or says why not (null): it is not there (another host, another container), it is
    /// not a segment, or its nonce differs.
    /// </summary>
    public static ShmSegment? TryOpen(string path, ReadOnlySpan<byte> nonce, out string why)
    {
        ShmSegment segment;
        try
        {
            segment = Map(path, owner: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            why = $"cannot open {path}: {ex.Message}";
            return null;
        }

        if (segment.Length < 64 || *(ulong*)segment._base != Magic || !segment.Nonce.SequenceEqual(nonce))
        {
            segment.Dispose();
            why = $"{path} is not the segment the neighbour offered";
            return null;
        }

        why = "";
        return segment;
    }

    /// <summary>
    /// Removes segments whose creator is dead: a name normally lives only until the neighbour attaches, but a job
    /// killed while joining leaves one behind. The creator's process id is in the name.
    /// </summary>
    public static void RemoveStale()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        foreach (var file in System.IO.Directory.EnumerateFiles(Directory, "distributed-ring-*"))
        {
            var parts = System.IO.Path.GetFileName(file).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var pid) && !System.IO.Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    File.Delete(file);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Another user's, or already gone.
                }
            }
        }
    }

    /// <summary>Removes the name; both mappings stay valid until disposed.</summary>
    public void Unlink()
    {
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        if (Owner)
        {
            Unlink();
        }
    }

    private static ShmSegment Map(string path, bool owner)
    {
        var file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
        try
        {
            var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.ReadWrite);
            return new ShmSegment(path, file, view, owner);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
