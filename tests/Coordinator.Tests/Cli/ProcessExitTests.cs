using System.Diagnostics;

namespace Distributed.Coordinator.Tests.Cli;

/// <summary>The real program, as a user runs it: bad input exits 2 with one line and no stack trace.</summary>
public class ProcessExitTests
{
    [Fact]
    public async Task BadLearningRateExitsTwoWithoutAStackTrace()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Distributed.Coordinator.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "train", "--model", "linreg", "--lr", "-1" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the program did not exit within 60 s");
        }

        var err = await stderr;
        Assert.Equal(2, process.ExitCode);
        Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", err + await stdout);
    }
}
