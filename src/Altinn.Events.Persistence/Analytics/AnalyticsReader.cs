using System.Data;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Analytics;

/// <summary>Events of one type in one period (an hour or a UTC day).</summary>
public sealed record TypePeriodCount(string Type, DateTime Start, long Events);

/// <summary>Instances per metric over the days asked for (<c>created</c>, <c>completed</c>, <c>task:{task}</c>).</summary>
public sealed record MetricCount(string Metric, long Instances);

/// <summary>Durations per metric and histogram bucket over the days asked for.</summary>
public sealed record MetricBucket(string Metric, short Bucket, long Count);

/// <summary>An app's roll-ups over a range, read in one snapshot.</summary>
public sealed record AppRollups(IReadOnlyList<TypePeriodCount> Events, IReadOnlyList<MetricCount> Counts, IReadOnlyList<MetricBucket> Durations);

/// <summary>
/// Reads the analytics roll-ups: index range scans on the roll-up tables' primary keys (resource first, then the time),
/// never the events table. Their size depends on resources, types and hours, not on how many events were stored.
/// </summary>
public sealed class AnalyticsReader(NpgsqlDataSource dataSource)
{
    private const string HoursSql = """
        SELECT type, hour AS start, sum(events)::bigint AS events
        FROM analytics_event_hours
        WHERE resource = @resource AND hour >= @from AND hour < @to
        GROUP BY type, hour
        HAVING sum(events) > 0
        ORDER BY hour, type
        """;

    private const string DaysSql = """
        SELECT type, (date_trunc('day', hour AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS start, sum(events)::bigint AS events
        FROM analytics_event_hours
        WHERE resource = @resource AND hour >= @from AND hour < @to
        GROUP BY type, 2
        HAVING sum(events) > 0
        ORDER BY 2, type
        """;

    private const string AppDaysSql = """
        SELECT metric, sum(instances)::bigint AS instances
        FROM analytics_app_days
        WHERE resource = @resource AND day >= @fromDay::date AND day < @toDay::date
        GROUP BY metric
        HAVING sum(instances) > 0
        ORDER BY metric
        """;

    private const string DurationsSql = """
        SELECT metric, bucket, sum(count)::bigint AS count
        FROM analytics_durations
        WHERE resource = @resource AND day >= @fromDay::date AND day < @toDay::date
        GROUP BY metric, bucket
        HAVING sum(count) > 0
        ORDER BY metric, bucket
        """;

    /// <summary>Events per type per hour (or UTC day, <paramref name="byDay"/>) of their time in [from, to).</summary>
    public async Task<IReadOnlyList<TypePeriodCount>> EventCountsAsync(string resource, DateTimeOffset from, DateTimeOffset to, bool byDay, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EventCountsAsync(connection, null, resource, from, to, byDay, cancellationToken);
    }

    /// <summary>
    /// An app's figures: its events per type per period in [from, to), and its instance counts and duration histograms
    /// over the UTC days [fromDay, toDay). Read in one snapshot (a read-only repeatable-read transaction): the aggregator
    /// commits batches while the three queries run, and figures read at different moments would disagree (completed
    /// instances whose events are not counted yet).
    /// </summary>
    public async Task<AppRollups> AppFiguresAsync(string resource, DateTimeOffset from, DateTimeOffset to, bool byDay, DateOnly fromDay, DateOnly toDay, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("SET TRANSACTION READ ONLY", transaction: transaction, cancellationToken: cancellationToken));
        var events = await EventCountsAsync(connection, transaction, resource, from, to, byDay, cancellationToken);

        // Dapper has no DateOnly parameters: the days go as timestamps and are cast back.
        var args = new { resource, fromDay = fromDay.ToDateTime(TimeOnly.MinValue), toDay = toDay.ToDateTime(TimeOnly.MinValue) };
        var counts = (await connection.QueryAsync<MetricCount>(new CommandDefinition(AppDaysSql, args, transaction, cancellationToken: cancellationToken))).AsList();
        var durations = (await connection.QueryAsync<MetricBucket>(new CommandDefinition(DurationsSql, args, transaction, cancellationToken: cancellationToken))).AsList();
        await transaction.CommitAsync(cancellationToken);
        return new AppRollups(events, counts, durations);
    }

    private static async Task<IReadOnlyList<TypePeriodCount>> EventCountsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string resource, DateTimeOffset from, DateTimeOffset to, bool byDay, CancellationToken cancellationToken)
    {
        var rows = await connection.QueryAsync<TypePeriodCount>(new CommandDefinition(
            byDay ? DaysSql : HoursSql, new { resource, from = from.UtcDateTime, to = to.UtcDateTime }, transaction, cancellationToken: cancellationToken));
        return rows.AsList();
    }
}
