using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Analytics;

/// <summary>
/// Retention of the roll-ups: rows whose hour or day lies before the cutoff (the one the events' partitions are dropped
/// by, <c>Retention:Days</c>) go, and so do instances whose latest step does; in batches, so no transaction grows large.
/// </summary>
public sealed class AnalyticsRetention(NpgsqlDataSource dataSource)
{
    private static readonly string[] DeleteSql =
    [
        "DELETE FROM analytics_event_hours WHERE ctid = ANY(ARRAY(SELECT ctid FROM analytics_event_hours WHERE hour < @cutoff LIMIT 10000))",
        "DELETE FROM analytics_app_days WHERE ctid = ANY(ARRAY(SELECT ctid FROM analytics_app_days WHERE day < @cutoffDay::date LIMIT 10000))",
        "DELETE FROM analytics_durations WHERE ctid = ANY(ARRAY(SELECT ctid FROM analytics_durations WHERE day < @cutoffDay::date LIMIT 10000))",
        "DELETE FROM analytics_instances WHERE ctid = ANY(ARRAY(SELECT ctid FROM analytics_instances WHERE last_time < @cutoff LIMIT 10000))",
    ];

    /// <returns>The rows deleted.</returns>
    public async Task<long> DeleteBeforeAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var args = new { cutoff = cutoff.UtcDateTime, cutoffDay = DateTime.SpecifyKind(cutoff.UtcDateTime.Date, DateTimeKind.Unspecified) };
        long total = 0;
        foreach (var sql in DeleteSql)
        {
            int deleted;
            do
            {
                deleted = await connection.ExecuteAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
                total += deleted;
            }
            while (deleted > 0);
        }

        return total;
    }
}
