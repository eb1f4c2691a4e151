namespace Distributed.Tests.Shared;

/// <summary>
/// The trait that sorts tests for filtering. `dotnet test --filter Category!=Slow` is the fast loop;
/// the README's test command and CI run everything.
/// </summary>
internal static class TestCategory
{
    public const string Key = "Category";

    /// <summary>Takes more than a few seconds: real processes, whole jobs, full training runs.</summary>
    public const string Slow = "Slow";

    /// <summary>Needs a CUDA GPU; skipped, saying why, where there is none.</summary>
    public const string Gpu = "Gpu";
}
