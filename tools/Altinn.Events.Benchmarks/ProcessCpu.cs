using System.Globalization;

namespace Altinn.Events.Benchmarks;

/// <summary>CPU time of a process (and, for PostgreSQL, of its backends) from <c>/proc</c>, to report what a scenario costs each.</summary>
internal static class ProcessCpu
{
    // USER_HZ: the unit of utime and stime in /proc/{pid}/stat on Linux.
    private const double TicksPerSecond = 100;

    /// <summary>
    /// CPU seconds <paramref name="pid"/> has used; with <paramref name="withChildren"/> also its children's, live and
    /// exited: the live ones from their own <c>stat</c>, the exited ones from the parent's (a PostgreSQL backend that
    /// ends moves its CPU time into the postmaster's cutime and cstime when it is reaped; summing only live children made
    /// a run where connections closed come out negative). Null when unknown.
    /// </summary>
    public static double? Seconds(int pid, bool withChildren)
    {
        if (pid <= 0 || Read(pid) is not { } own)
        {
            return null;
        }

        var total = own.Ticks;
        if (withChildren)
        {
            total += own.ReapedChildTicks;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child) && Read(child) is { } stat && stat.Parent == pid)
                {
                    total += stat.Ticks;
                }
            }
        }

        return total / TicksPerSecond;
    }

    private static (int Parent, long Ticks, long ReapedChildTicks)? Read(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name in parentheses: state, ppid, ... utime is the 14th field, stime the 15th, the
            // waited-for children's cutime and cstime the 16th and 17th.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int index) => long.Parse(fields[index], CultureInfo.InvariantCulture);
            return (int.Parse(fields[1], CultureInfo.InvariantCulture), Field(11) + Field(12), Field(13) + Field(14));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
