using Distributed.Worker.Security;

namespace Distributed.Integration.Tests;

/// <summary>A fresh job secret in a file of its own, as a role reads it with `--secret-file`; deleted on dispose.</summary>
internal sealed class SecretFile : IDisposable
{
    private readonly TempDirectory _directory = new("secret-");

    public SecretFile()
    {
        Path = _directory.File("secret");
        File.WriteAllText(Path, JobSecret.Create().ToText());
    }

    public string Path { get; }

    /// <summary>The flag and its value, for a role's arguments.</summary>
    public string[] Flag => ["--secret-file", Path];

    public void Dispose() => _directory.Dispose();
}
