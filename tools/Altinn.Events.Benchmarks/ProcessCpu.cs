using System.Globalization;

namespace Altinn.Events.Benchmarks;

/// <summary>CPU time of a process (and, for PostgreSQL, of its backends) from <c>/proc</c>, to report what a scenario costs each.</summary>
internal static class ProcessCpu
{
    // USER_HZ: the unit of utime and stime in /proc/{pid}/stat on Linux.
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds <paramref name="pid"/> has used, plus those of its live children when <paramref name="withChildren"/>; null when unknown.</summary>
    public static double? Seconds(int pid, bool withChildren)
    {
        if (pid <= 0 || Read(pid) is not { } own)
        {
            return null;
        }

        var total = own.Ticks;
        if (withChildren)
        {
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

    private static (int Parent, long Ticks)? Read(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name in parentheses: state, ppid, ... utime is the 14th field, stime the 15th.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
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
