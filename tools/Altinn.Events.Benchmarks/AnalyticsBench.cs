using System.Diagnostics;
using System.Globalization;
using System.Net;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>
/// S8 (issue 24): the analytics roll-ups. (1) Catch-up: the roll-ups are emptied and the cursor set back to 0, so the
/// API's aggregator counts every stored event again; its rate is the cursor's progress over time. (2) Queries over the
/// result: GET /analytics/app/{org}/{app} for 90 days by day and 31 days by hour, closed loop. (3) What the aggregator
/// costs publishing: S1 with the aggregator paused (the bench holds the aggregators' advisory lock in an idle session, so
/// every aggregator skips its rounds)
/// and running, in alternating order in the same run; the aggregator has caught up before each run.
/// </summary>
internal sealed class AnalyticsBench(BenchSettings settings, HttpClient client, Scenarios scenarios)
{
    // AnalyticsStore.TurnLockKey (the tools reference Core only).
    private const long TurnLockKey = 0x416c746e4576416e;

    public sealed record CatchUp(long Events, double Seconds)
    {
        public double PerSecond => Events / Seconds;
    }

    public async Task<CatchUp> CatchUpFromScratchAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using (var reset = new NpgsqlCommand(
            """
            BEGIN;
            SELECT seq FROM analytics_cursor WHERE name = 'rollup' FOR UPDATE;
            TRUNCATE analytics_event_hours, analytics_app_days, analytics_durations, analytics_instances;
            UPDATE analytics_cursor SET seq = 0, registered = '-infinity' WHERE name = 'rollup';
            COMMIT;
            """, connection) { CommandTimeout = 0 })
        {
            await reset.ExecuteNonQueryAsync(cancellationToken);
        }

        var watch = Stopwatch.StartNew();
        var target = await Quiet.ScalarAsync(connection, "SELECT coalesce(max(seq), 0) FROM events", cancellationToken);
        var events = await Quiet.ScalarAsync(connection, "SELECT count(*) FROM events", cancellationToken);
        await WaitCaughtUpAsync(connection, target, TimeSpan.FromHours(2), cancellationToken);
        return new CatchUp(events, watch.Elapsed.TotalSeconds);
    }

    public async Task<ClosedLoop.Result> QueryAsync(bool hourly, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var from = (hourly ? now.AddDays(-30) : now.AddDays(-89)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var url = $"{settings.ApiUrl}/analytics/app/{settings.QueryOrg}/{settings.QueryApp}?from={Uri.EscapeDataString(from)}&interval={(hourly ? "hour" : "day")}";
        return await ClosedLoop.RunAsync(settings.QueryConcurrency, settings.Warmup, settings.Duration, async (_, ct) =>
        {
            using var request = Http.Get(url, settings.QueryOrgToken);
            using var response = await client.SendAsync(request, ct);
            await response.Content.ReadAsStringAsync(ct);
            return response.StatusCode == HttpStatusCode.OK;
        }, cancellationToken);
    }

    /// <summary>The roll-up rows the query app has (what a query reads), for the report.</summary>
    public async Task<(long Hours, long Days, long Durations, long Instances)> SizesAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        var resource = $"urn:altinn:resource:app_{settings.QueryOrg}_{settings.QueryApp}";
        async Task<long> CountAsync(string table) =>
            await Quiet.ScalarAsync(connection, $"SELECT count(*) FROM {table} WHERE resource = '{resource}'", cancellationToken);
        return (await CountAsync("analytics_event_hours"), await CountAsync("analytics_app_days"), await CountAsync("analytics_durations"), await Quiet.ScalarAsync(connection, "SELECT count(*) FROM analytics_instances", cancellationToken));
    }

    /// <summary>
    /// One S1 run with the aggregator paused and one with it running, the order alternating with the run number (odd:
    /// paused first) so warm-up and drift do not favour either; before a running run the aggregator has caught up.
    /// </summary>
    public async Task<(Scenarios.PublishResult Paused, Scenarios.PublishResult Running)> PublishCostAsync(int run, int concurrency, CancellationToken cancellationToken)
    {
        await using var control = new NpgsqlConnection(settings.Database);
        await control.OpenAsync(cancellationToken);
        Scenarios.PublishResult? paused = null, running = null;
        foreach (var pause in run % 2 == 1 ? new[] { true, false } : [false, true])
        {
            await WaitCaughtUpAsync(control, await Quiet.ScalarAsync(control, "SELECT coalesce(max(seq), 0) FROM events", cancellationToken), TimeSpan.FromMinutes(10), cancellationToken);
            if (!pause)
            {
                running = await scenarios.PublishAsync(900 + run, concurrency, cancellationToken);
                continue;
            }

            // Paused by the aggregators' advisory lock, held by this idle session outside any transaction: no snapshot is
            // kept open, so vacuum is not held back and the paused run pays nothing the running one does not.
            await ExecuteAsync(control, $"SELECT pg_advisory_lock({TurnLockKey})", cancellationToken);
            try
            {
                paused = await scenarios.PublishAsync(800 + run, concurrency, cancellationToken);
            }
            finally
            {
                await ExecuteAsync(control, $"SELECT pg_advisory_unlock({TurnLockKey})", cancellationToken);
            }
        }

        return (paused!, running!);
    }

    private static async Task WaitCaughtUpAsync(NpgsqlConnection connection, long target, TimeSpan limit, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        while (await Quiet.ScalarAsync(connection, "SELECT seq FROM analytics_cursor WHERE name = 'rollup'", cancellationToken) < target)
        {
            if (watch.Elapsed > limit)
            {
                throw new TimeoutException($"The analytics aggregator did not reach sequence {target} within {limit}.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
