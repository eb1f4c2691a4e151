using System.Runtime.InteropServices;

namespace Distributed.Core.Collectives.SharedMemory;

/// <summary>
/// Blocking on a 32-bit word in memory shared between processes, and waking its waiters: Linux's futex, which is what
/// a spinning reader falls back to so a 2-core machine is not eaten by spinning. .NET has no cross-process wait on
/// shared memory (its named semaphores are Windows-only), hence the system call. Elsewhere the wait is a short sleep.
/// </summary>
internal static unsafe partial class Futex
{
    private const int Wait = 0;
    private const int Wake = 1;

    private static readonly long SyscallNumber = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => -1,
    };

    private static bool Available => OperatingSystem.IsLinux() && SyscallNumber > 0;

    /// <summary>Sleeps while <paramref name="word"/> still holds <paramref name="expected"/>, at most <paramref name="timeout"/>; it may return early.</summary>
    public static void WaitWhile(int* word, int expected, TimeSpan timeout)
    {
        if (!Available)
        {
            Thread.Sleep(1);
            return;
        }

        var ticks = timeout.Ticks;
        var spec = stackalloc long[2];
        spec[0] = ticks / TimeSpan.TicksPerSecond;
        spec[1] = ticks % TimeSpan.TicksPerSecond * 100;
        _ = Syscall(SyscallNumber, word, Wait, expected, spec, null, 0);
    }

    /// <summary>Wakes every process waiting on <paramref name="word"/>.</summary>
    public static void WakeAll(int* word)
    {
        if (Available)
        {
            _ = Syscall(SyscallNumber, word, Wake, int.MaxValue, null, null, 0);
        }
    }

    [LibraryImport("libc", EntryPoint = "syscall")]
    private static partial long Syscall(long number, int* address, int operation, int value, long* timeout, int* address2, int value3);
}
