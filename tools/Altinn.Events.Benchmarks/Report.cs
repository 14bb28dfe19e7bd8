using System.Globalization;
using System.Text;

namespace Altinn.Events.Benchmarks;

/// <summary>Collects the figures of a run and writes them as Markdown (docs/benchmarks.md, or under .data in smoke mode).</summary>
internal sealed class Report(BenchSettings settings)
{
    private readonly List<string> _baselines = [];
    private readonly List<string> _rows = [];
    private readonly List<string> _notes = [];
    private readonly List<string> _machine = [];
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;

    public List<string> Failures { get; } = [];

    public void Baseline(string what, Figure figure, Figure? extra) =>
        _baselines.Add($"| {what} | {figure.Format()} | {(extra is null ? string.Empty : extra.Name + " " + extra.Format())} |");

    public void Row(string scenario, string what, Figure figure, Figure? baseline, string? target, bool? met, Figure? secondBaseline = null, string? text = null)
    {
        var ratio = baseline is null ? string.Empty : $"{Ratio(figure, baseline)} of {baseline.Name} ({baseline.Format()})";
        if (secondBaseline is not null)
        {
            ratio += $"; {Ratio(figure, secondBaseline)} of {secondBaseline.Name} ({secondBaseline.Format()})";
        }

        var shown = text ?? figure.Format();
        _rows.Add($"| {scenario} | {what} | {shown} | {ratio} | {target} | {(met is null ? string.Empty : met.Value ? "met" : "**missed**")} |");
        Console.WriteLine($"bench: {scenario}: {what}: {shown} {ratio}");
    }

    public void Errors(string scenario, long errors, string? first)
    {
        if (errors > 0)
        {
            _notes.Add($"{scenario}: {errors} failed requests in the measured windows (first: {first}).");
        }
    }

    public void Note(string note) => _notes.Add(note);

    public void LoadAverage(string when) =>
        _machine.Add($"load average at {when}: {File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b)}");

    public void Rss(string host, int pid)
    {
        var status = $"/proc/{pid}/status";
        if (pid <= 0 || !File.Exists(status))
        {
            _notes.Add($"Peak RSS of the {host}: not read (no process id).");
            return;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kb = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var mb = kb / 1024.0;
        _rows.Add($"| RSS | peak RSS (VmHWM) of the {host} over the whole run | {mb:F0} MB | | < 400 MB | {(mb < 400 ? "met" : "**missed**")} |");
        Console.WriteLine($"bench: peak RSS {host}: {mb:F0} MB");
    }

    public string Write()
    {
        var memory = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var memoryGb = long.Parse(memory.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Benchmarks{(settings.Smoke ? " (smoke run: tiny sizes, not figures to quote)" : string.Empty)}");
        text.AppendLine();
        text.AppendLine("Written by `scripts/bench.sh` (tools/Altinn.Events.Benchmarks). Each figure is the median of the runs with [min–max];");
        text.AppendLine("each ratio is to a baseline measured in the same run on the same machine.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- date: {_started:yyyy-MM-dd HH:mm} UTC, took {(DateTimeOffset.UtcNow - _started).TotalMinutes:F1} min for the measurements (data generation before that: see below)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} cores ({cpu}), {memoryGb:F1} GB memory, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- git commit: {settings.Commit}");
        foreach (var line in _machine)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"- runs per figure: {settings.Runs}; {settings.Duration.TotalSeconds:F0} s measured per closed-loop run after {settings.Warmup.TotalSeconds:F0} s warm-up");
        text.AppendLine(CultureInfo.InvariantCulture, $"- sizes: {settings.StoredEvents:N0} generated events, {settings.StoredSubscriptions:N0} generated subscriptions, {settings.MatchEvents:N0} events per S5 run");
        if (settings.Notes.Length > 0)
        {
            foreach (var note in settings.Notes.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        text.AppendLine();
        text.AppendLine("## Baselines");
        text.AppendLine();
        text.AppendLine("| baseline | median [min–max] | |");
        text.AppendLine("| --- | --- | --- |");
        _baselines.ForEach(l => text.AppendLine(l));
        text.AppendLine();
        text.AppendLine("## Scenarios");
        text.AppendLine();
        text.AppendLine("| scenario | figure | median [min–max] | ratio to baseline | target | |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- |");
        _rows.ForEach(l => text.AppendLine(l));
        text.AppendLine();
        text.AppendLine("## Notes from the run");
        text.AppendLine();
        _notes.ForEach(n => text.AppendLine(CultureInfo.InvariantCulture, $"- {n}"));
        Failures.ForEach(f => text.AppendLine(CultureInfo.InvariantCulture, $"- FAILED: {f}"));
        File.WriteAllText(settings.Output, text.ToString());
        return settings.Output;
    }

    private static string Ratio(Figure figure, Figure baseline) =>
        (figure.Median / baseline.Median).ToString("F2", CultureInfo.InvariantCulture) + "x";
}
