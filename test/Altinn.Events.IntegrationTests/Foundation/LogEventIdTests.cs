using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>
/// Log event ids are stable and unique across the solution: each project's <c>LogEventIds</c> names its ids inside the
/// ranges it owns, and every <c>[LoggerMessage]</c> uses one of them (docs/architecture.md, "Log event ids").
/// </summary>
public sealed class LogEventIdTests
{
    private static readonly string[] Projects =
    [
        "Altinn.Events.Api", "Altinn.Events.Stages", "Altinn.Events.Messaging", "Altinn.Events.Persistence", "Altinn.Events.Authorization",

        // They log in a consumer's process, beside each other (the sample uses the client).
        "Altinn.Events.Client.AspNetCore", "Altinn.Events.Sample",
    ];

    [Fact]
    public void EveryLogEventId_IsUsedOnce_AcrossTheSolution()
    {
        var duplicates = Messages().GroupBy(m => m.Id).Where(g => g.Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Where))}").ToList();

        Assert.True(duplicates.Count == 0, "Log event ids used more than once: " + string.Join("; ", duplicates));
    }

    [Fact]
    public void EveryLogEventId_ComesFromItsProjectsRegistry_WithinItsRanges()
    {
        var problems = new List<string>();
        foreach (var project in Projects)
        {
            var (ranges, registered) = Registry(project);
            var used = Messages().Where(m => m.Project == project).ToList();
            problems.AddRange(used.Where(m => !registered.Contains(m.Id)).Select(m => $"{m.Where} uses {m.Id}, which {project}.LogEventIds does not name"));
            problems.AddRange(registered.Where(id => !ranges.Any(r => id >= r.First && id <= r.Last)).Select(id => $"{project}.LogEventIds names {id}, outside its ranges"));
            problems.AddRange(registered.Where(id => used.All(m => m.Id != id)).Select(id => $"{project}.LogEventIds names {id}, which no log message uses"));
        }

        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    [Fact]
    public void ProjectRanges_DoNotOverlap()
    {
        var ranges = Projects.SelectMany(p => Registry(p).Ranges.Select(r => (Project: p, r.First, r.Last))).OrderBy(r => r.First).ToList();

        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i].First > ranges[i - 1].Last, $"{ranges[i - 1].Project} {ranges[i - 1].First}-{ranges[i - 1].Last} overlaps {ranges[i].Project} {ranges[i].First}-{ranges[i].Last}");
        }
    }

    private static IEnumerable<(string Project, int Id, string Where)> Messages() =>
        from project in Projects
        from type in Assembly.Load(project).GetTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        let attribute = method.GetCustomAttribute<LoggerMessageAttribute>()
        where attribute is not null
        select (project, attribute.EventId, $"{type.FullName}.{method.Name}");

    private static (IReadOnlyList<(int First, int Last)> Ranges, IReadOnlySet<int> Ids) Registry(string project)
    {
        var registry = Assembly.Load(project).GetType($"{project}.LogEventIds", throwOnError: true)!;
        var ranges = (IReadOnlyList<(int First, int Last)>)registry.GetField("Ranges", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var ids = registry.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(int)).Select(f => (int)f.GetRawConstantValue()!).ToHashSet();
        return (ranges, ids);
    }
}
