using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>
/// Waits for the work earlier steps left behind: every stored event matched by the inbound stage (its outbox row gone),
/// rolled up by the API's analytics aggregator and listed by its holder indexer, and no autovacuum worker busy in the
/// database. The generated store is rolled up and indexed once at start, S1 leaves several hundred thousand events to
/// match, roll up and index, and the tables they grew are vacuumed and analyzed soon after; a scenario measured meanwhile shares the two cores with that
/// backlog, which is not what it measures.
/// </summary>
internal static class Quiet
{
    /// <returns>How long the wait took.</returns>
    public static async Task<TimeSpan> WaitAsync(BenchSettings settings, TimeSpan limit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        var target = await ScalarAsync(connection, "SELECT coalesce(max(seq), 0) FROM events", cancellationToken);

        // The API gets the bench's environment: with Analytics__Aggregate=false it rolls nothing up, so nothing to wait for.
        var aggregating = !string.Equals(Environment.GetEnvironmentVariable("Analytics__Aggregate"), "false", StringComparison.OrdinalIgnoreCase);
        var indexing = !string.Equals(Environment.GetEnvironmentVariable("HolderIndex__Run"), "false", StringComparison.OrdinalIgnoreCase);
        while (await ScalarAsync(connection, "SELECT count(*) FROM (SELECT 1 FROM outbox LIMIT 1) o", cancellationToken) > 0
            || (aggregating && await ScalarAsync(connection, "SELECT seq FROM analytics_cursor WHERE name = 'rollup'", cancellationToken) < target)
            || (indexing && await ScalarAsync(connection, "SELECT seq FROM holder_index_cursor WHERE name = 'holders'", cancellationToken) < target)
            || await ScalarAsync(connection, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = current_database()", cancellationToken) > 0)
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"The inbound stage, the analytics aggregator, the holder indexer and autovacuum did not get through the events stored so far (up to sequence {target}) within {limit}.");
            }

            await Task.Delay(200, cancellationToken);
        }

        return watch.Elapsed;
    }

    /// <summary>
    /// <c>VACUUM (ANALYZE)</c> over the database: what autovacuum would do soon after a scenario that wrote much, done
    /// before the next one is measured rather than during it.
    /// </summary>
    /// <returns>How long it took.</returns>
    public static async Task<TimeSpan> VacuumAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("VACUUM (ANALYZE)", connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
        return watch.Elapsed;
    }

    /// <summary>One number from PostgreSQL (no command timeout: some of the bench's counts scan large tables).</summary>
    internal static async Task<long> ScalarAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
