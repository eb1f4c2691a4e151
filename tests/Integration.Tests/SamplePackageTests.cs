using System.Diagnostics;

namespace Distributed.Integration.Tests;

/// <summary>The library packs, and the sample builds against the package alone, as a user's project would.</summary>
[Trait(TestCategory.Key, TestCategory.Slow)]
public sealed class SamplePackageTests
{
    [Fact]
    public async Task TheSampleBuildsAgainstThePackedLibrary()
    {
        using var dir = new TempDirectory();
        var feed = dir.Subdirectory("feed");

        // A version of its own, so a package an earlier run left in the NuGet cache is never the one restored.
        var version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var library = RepoPaths.FindUp("src/Library/Library.csproj");
        var sample = RepoPaths.FindUp("samples/MnistTwoWorkers/MnistTwoWorkers.csproj");

        await Dotnet("pack", library, "-c", "Release", "-o", feed, $"-p:Version={version}");
        Assert.True(File.Exists(Path.Combine(feed, $"Distributed.Training.{version}.nupkg")));
        await Dotnet("build", sample, "-c", "Release", "-o", dir.Subdirectory("out"), $"-p:DistributedTrainingVersion={version}",
            $"-p:RestoreAdditionalProjectSources={feed}");

        Assert.True(File.Exists(dir.File("out/MnistTwoWorkers.dll")));
        Assert.True(File.Exists(dir.File("out/Distributed.Training.dll")));
    }

    private static async Task Dotnet(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(8));
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', args)}:\n{await stdout}\n{await stderr}");
    }
}
