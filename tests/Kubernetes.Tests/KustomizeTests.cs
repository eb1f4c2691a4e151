using System.Diagnostics;

namespace Distributed.Kubernetes.Tests;

/// <summary>
/// `kubectl kustomize` renders deploy/k8s and its GPU overlay into the same objects `submit` renders for the same
/// job, so the two ways onto a cluster cannot drift apart. Skipped, saying so, where kubectl is not installed
/// (CI installs it: see .ci/run).
/// </summary>
public class KustomizeTests
{
    [KubectlFact]
    public void BaseRendersTheObjectsSubmitRenders()
    {
        var typed = YamlTrees.AssertLossless(Kubectl.Kustomize("deploy/k8s"));

        YamlTrees.AssertSameObjects(Manifests.Render(ManifestsTests.BaseJob()).All, typed);
    }

    [KubectlFact]
    public void GpuOverlayRendersTheObjectsSubmitRendersWithOneGpuPerWorker()
    {
        var typed = YamlTrees.AssertLossless(Kubectl.Kustomize("deploy/k8s/overlays/gpu"));

        YamlTrees.AssertSameObjects(Manifests.Render(ManifestsTests.BaseJob() with { GpusPerWorker = 1 }).All, typed);
    }

    [Theory]
    [InlineData("deploy/k8s", "base/")]
    [InlineData("deploy/k8s/base", "")]
    public void KustomizationListsEveryManifestInBase(string directory, string prefix)
    {
        var listed = File.ReadAllLines(Path.Combine(RepoPaths.FindUp(directory), "kustomization.yaml"))
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("- ", StringComparison.Ordinal))
            .Select(l => l[2..]);
        var present = Directory.EnumerateFiles(RepoPaths.FindUp("deploy/k8s/base"), "*.yaml")
            .Select(Path.GetFileName)
            .Where(f => f != "kustomization.yaml")
            .Select(f => prefix + f);

        Assert.Equal(present.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }
}

/// <summary>A fact that runs only where kubectl is on the PATH.</summary>
internal sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kubectl.Path is null)
        {
            Skip = "kubectl is not on the PATH: install it (Debian/Ubuntu: apt-get install kubernetes-client) to check that deploy/k8s renders";
        }
    }
}

internal static class Kubectl
{
    public static string? Path { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => System.IO.Path.Combine(dir, "kubectl"))
        .FirstOrDefault(File.Exists);

    /// <summary>`kubectl kustomize DIR` (DIR relative to the repository root): its output, or a failed assertion with its error.</summary>
    public static string Kustomize(string directory)
    {
        var start = new ProcessStartInfo(Path!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(RepoPaths.FindUp(directory));
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "kubectl kustomize did not finish within 60 s");
        Assert.True(process.ExitCode == 0, $"kubectl kustomize {directory} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }
}
