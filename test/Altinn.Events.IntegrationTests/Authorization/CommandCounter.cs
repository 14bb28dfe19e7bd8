using System.Collections.Concurrent;
using System.Diagnostics;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>
/// Counts the SQL commands Npgsql runs against one database, through Npgsql's own tracing (an activity per
/// command). Filtered by database name, so other test classes running in parallel do not count.
/// </summary>
public sealed class CommandCounter : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<string> _commands = new();

    public CommandCounter(string databaseName)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                var tags = activity.TagObjects.ToList();
                var statement = tags.FirstOrDefault(t => t.Key is "db.statement" or "db.query.text").Value as string;
                if (statement is not null && tags.Any(t => t.Value as string == databaseName))
                {
                    _commands.Enqueue(statement);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<string> Commands => [.. _commands];

    public void Reset() => _commands.Clear();

    public void Dispose() => _listener.Dispose();
}
