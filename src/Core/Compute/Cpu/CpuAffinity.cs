using System.Globalization;
using System.Runtime.InteropServices;

namespace Distributed.Core.Compute.Cpu;

/// <summary>
/// Which CPUs a process may run on, and binding every thread of this process to a set of them (Linux
/// sched_getaffinity/sched_setaffinity; .NET's Process.ProcessorAffinity sets only the main thread). Local workers
/// are bound one set each, as Open MPI binds ranks to cores: unbound, the scheduler moved each worker's step
/// between the two cores of the development machine, and every move left a few megabytes of parameters, gradients
/// and optimizer state in the other core's cache (two mlp workers: 2.4 ms a step bound, 4.9 ms unbound).
/// </summary>
public static partial class CpuAffinity
{
    // cpu_set_t as glibc sizes it: 1,024 CPUs.
    private const int MaskWords = 16;

    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>The CPUs this process may run on, in order; null where that cannot be asked.</summary>
    public static IReadOnlyList<int>? Allowed()
    {
        if (!Supported)
        {
            return null;
        }

        var mask = new ulong[MaskWords];
        if (SchedGetAffinity(0, (nuint)(MaskWords * sizeof(ulong)), mask) != 0)
        {
            return null;
        }

        var cpus = new List<int>();
        for (var cpu = 0; cpu < MaskWords * 64; cpu++)
        {
            if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0)
            {
                cpus.Add(cpu);
            }
        }

        return cpus;
    }

    /// <summary>
    /// Binds every thread of this process to <paramref name="cpus"/>; threads started later inherit it from their
    /// parent. Returns null, or why the kernel refused (the process then runs unbound, which is only slower).
    /// </summary>
    public static string? BindProcess(IReadOnlyList<int> cpus)
    {
        if (!Supported)
        {
            return "binding to CPUs needs Linux";
        }

        var mask = new ulong[MaskWords];
        foreach (var cpu in cpus)
        {
            if (cpu < 0 || cpu >= MaskWords * 64)
            {
                return $"CPU {cpu} is outside 0–{(MaskWords * 64) - 1}";
            }

            mask[cpu / 64] |= 1UL << (cpu % 64);
        }

        // A thread may start while the list is read; go round until a pass finds none unbound.
        var bound = new HashSet<int>();
        for (var pass = 0; pass < 10; pass++)
        {
            var fresh = Directory.EnumerateDirectories("/proc/self/task")
                .Select(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture))
                .Where(bound.Add)
                .ToList();
            if (fresh.Count == 0)
            {
                return null;
            }

            foreach (var thread in fresh)
            {
                if (SchedSetAffinity(thread, (nuint)(MaskWords * sizeof(ulong)), mask) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != Esrch)
                {
                    return $"the kernel refused CPUs {Format(cpus)} (errno {errno}): are they outside this container's CPU set?";
                }
            }
        }

        return null;
    }

    /// <summary>"0-3,6": ranges of consecutive CPUs, as taskset and the kernel print them.</summary>
    public static string Format(IReadOnlyList<int> cpus)
    {
        var parts = new List<string>();
        for (var i = 0; i < cpus.Count;)
        {
            var j = i;
            while (j + 1 < cpus.Count && cpus[j + 1] == cpus[j] + 1)
            {
                j++;
            }

            parts.Add(i == j ? cpus[i].ToString(CultureInfo.InvariantCulture) : $"{cpus[i]}-{cpus[j]}");
            i = j + 1;
        }

        return string.Join(',', parts);
    }

    /// <summary>Reads <see cref="Format"/>'s form back; null when <paramref name="text"/> is not a CPU list.</summary>
    public static IReadOnlyList<int>? Parse(string text)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in text.Split(','))
        {
            var ends = part.Split('-');
            if (ends.Length > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                return null;
            }

            var first = int.Parse(ends[0], CultureInfo.InvariantCulture);
            var last = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (last < first || last >= MaskWords * 64)
            {
                return null;
            }

            for (var cpu = first; cpu <= last; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return [.. cpus];
    }

    // ESRCH: the thread ended between listing and binding, which is no failure.
    private const int Esrch = 3;

    [LibraryImport("libc", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nuint size, [Out] ulong[] mask);

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong[] mask);
}
