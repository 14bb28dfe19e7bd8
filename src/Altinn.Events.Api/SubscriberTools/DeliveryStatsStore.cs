using Dapper;
using Npgsql;

namespace Altinn.Events.Api.SubscriberTools;

/// <summary>How many push attempts of one outcome a subscription had in one hour.</summary>
internal sealed record HourlyCount(DateTimeOffset Hour, string Outcome, int Count);

/// <summary>Counts a subscription's delivery log per hour and outcome (an index range scan on its attempts).</summary>
internal sealed class DeliveryStatsStore(NpgsqlDataSource dataSource)
{
    private const string HourlySql = """
        SELECT date_trunc('hour', attempted_at, 'UTC') AS hour, outcome, count(*)::int AS count
        FROM delivery_attempts
        WHERE subscription_id = @subscriptionId AND attempted_at >= @from
        GROUP BY 1, 2
        ORDER BY 1, 2
        """;

    public async Task<IReadOnlyList<HourlyCount>> HourlyAsync(Guid subscriptionId, DateTimeOffset from, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(DateTime Hour, string Outcome, int Count)>(new CommandDefinition(
            HourlySql, new { subscriptionId, from }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new HourlyCount(new DateTimeOffset(DateTime.SpecifyKind(r.Hour, DateTimeKind.Utc)), r.Outcome, r.Count))];
    }
}
