namespace Distributed.Tests.Shared;

/// <summary>Finds files checked into the repository from wherever the test binaries were built.</summary>
internal static class RepoPaths
{
    /// <summary>The first existing <paramref name="relative"/> path found walking up from the test binaries' directory.</summary>
    public static string FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate) || File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"{relative}: not found above {AppContext.BaseDirectory}");
    }
}
