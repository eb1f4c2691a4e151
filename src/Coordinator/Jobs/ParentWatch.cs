using System.Runtime.InteropServices;

namespace Distributed.Coordinator.Jobs;

/// <summary>
/// Notices that the process which started this one has gone (a `dotnet run` wrapper killed with SIGKILL, a shell
/// that closed): on Unix an orphan is re-parented, so its parent id changes. A launcher that outlived its parent
/// would otherwise train on, with its workers, for nobody. .NET has no parent-exit event, hence the poll.
/// </summary>
internal sealed partial class ParentWatch : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    private readonly Timer? _timer;
    private readonly int _parent;
    private readonly Action _gone;
    private int _fired;

    public ParentWatch(Action gone)
    {
        _gone = gone;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            _parent = GetParentProcessId();
            _timer = new Timer(static w => ((ParentWatch)w!).Check(), this, Poll, Poll);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private void Check()
    {
        if (GetParentProcessId() != _parent && Interlocked.Exchange(ref _fired, 1) == 0)
        {
            _gone();
        }
    }

    [LibraryImport("libc", EntryPoint = "getppid")]
    private static partial int GetParentProcessId();
}
