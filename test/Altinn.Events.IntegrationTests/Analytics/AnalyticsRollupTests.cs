using Altinn.Events.Core.Analytics;
using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Analytics;
using Altinn.Events.Persistence.Events;
using Dapper;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Analytics;

/// <summary>
/// The roll-ups equal a direct computation over the stored events, for random event sets stored out of order, with
/// duplicates, events without a time, small batches, batches cancelled mid-transaction (a crash), an aggregator restarted
/// on a new connection pool, and two aggregators running at once.
/// </summary>
public sealed class AnalyticsRollupTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static readonly string[] Tasks = ["Task_1", "Task_2", "Task_3"];
    private static readonly string[] OtherAppTypes = ["app.instance.data.changed", "app.instance.process.movedTo.", "app.instance.processed"];
    private static readonly string[] GenericTypes = ["gen.created", "gen.updated", "gen.deleted"];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task RollUps_EqualADirectComputation_WhateverTheOrderDuplicatesAndCrashes(int seed)
    {
        var random = new Random(seed * 7919);
        var app = $"rollup-{seed}-{Guid.NewGuid():N}"[..24];
        var appResource = AppResources.For("ttd", app);
        var genericResource = $"urn:altinn:resource:rollup-{seed}-{Guid.NewGuid():N}";
        var events = Generate(random, app, appResource, genericResource);

        // Stored in random order, in requests of random size; some events again (the store keeps one copy).
        var shuffled = events.OrderBy(_ => random.Next()).ToList();
        shuffled.AddRange(events.Where(_ => random.NextDouble() < 0.1));
        var store = new AnalyticsStore(database.DataSource);
        for (var i = 0; i < shuffled.Count;)
        {
            var take = Math.Min(random.Next(1, 25), shuffled.Count - i);
            await InsertAsync(shuffled.GetRange(i, take));
            i += take;

            var roll = random.NextDouble();
            if (roll < 0.25)
            {
                await AggregateAsync(store, random.Next(1, 40));
            }
            else if (roll < 0.45)
            {
                // A crash mid-batch: cancelled after a few milliseconds, its transaction rolls back.
                using var crash = new CancellationTokenSource(TimeSpan.FromMilliseconds(random.Next(0, 4)));
                try
                {
                    await store.AggregateNextAsync(random.Next(1, 40), crash.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException)
                {
                }
            }
        }

        // A restart (a new pool, a new store), and two aggregators at once to finish.
        await using var restarted = NpgsqlDataSource.Create(database.ConnectionString);
        var first = new AnalyticsStore(restarted);
        var second = new AnalyticsStore(restarted);
        await Task.WhenAll(AggregateAsync(first, 17), AggregateAsync(second, 23));

        var expected = await ComputeDirectlyAsync([appResource, genericResource]);
        var actual = await ReadRollUpsAsync([appResource, genericResource]);
        Assert.Equal(expected.Hours.OrderBy(k => k.Key.ToString()), actual.Hours.OrderBy(k => k.Key.ToString()));
        Assert.Equal(expected.Days.OrderBy(k => k.Key.ToString()), actual.Days.OrderBy(k => k.Key.ToString()));
        Assert.Equal(expected.Durations.OrderBy(k => k.Key.ToString()), actual.Durations.OrderBy(k => k.Key.ToString()));
        Assert.True(expected.Days.Count > 3 && expected.Durations.Count > 3, "The generated events should exercise the process figures.");
        Assert.Equal(0, await database.DataSource.CreateCommand("SELECT count(*) FROM (SELECT events FROM analytics_event_hours WHERE events < 0 UNION ALL SELECT instances FROM analytics_app_days WHERE instances < 0 UNION ALL SELECT count FROM analytics_durations WHERE count < 0) n").ExecuteScalarAsync() is long n ? n : -1);
    }

    [Fact]
    public async Task WhileTheTurnLockIsHeldElsewhere_AnAggregatorSkipsItsRound_WithoutWaiting_AndCountsOnceItIsFree()
    {
        var resource = $"urn:altinn:resource:pause-{Guid.NewGuid():N}";
        await InsertAsync([new NewEvent(Guid.NewGuid().ToString(), "https://pause.example", resource, "pause.tested", null, null, null, DateTimeOffset.UtcNow, "{}", "/org/ttd")]);
        var store = new AnalyticsStore(database.DataSource);
        await using var holder = await database.DataSource.OpenConnectionAsync();
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = AnalyticsStore.TurnLockKey });

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var skipped = await store.AggregateNextAsync(100, CancellationToken.None);
        Assert.True(skipped.Busy);
        Assert.Equal(0, skipped.Events);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"The aggregator waited {watch.Elapsed} for the lock.");
        Assert.Null(await holder.ExecuteScalarAsync<long?>("SELECT sum(events) FROM analytics_event_hours WHERE resource = @resource", new { resource }));

        await holder.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = AnalyticsStore.TurnLockKey });
        await AggregateAsync(store, 100);
        Assert.Equal(1, await holder.ExecuteScalarAsync<long>("SELECT sum(events) FROM analytics_event_hours WHERE resource = @resource", new { resource }));
    }

    [Fact]
    public async Task Retention_DeletesRollUpsOlderThanTheCutoff_AndKeepsTheRest()
    {
        var resource = $"urn:altinn:resource:retention-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO analytics_event_hours VALUES (@resource, @old, 't', 1), (@resource, @recent, 't', 2);
                INSERT INTO analytics_app_days VALUES (@resource, @oldDay::date, 'created', 1), (@resource, @recentDay::date, 'created', 2);
                INSERT INTO analytics_durations VALUES (@resource, @oldDay::date, 'completion', 3, 1), (@resource, @recentDay::date, 'completion', 3, 2);
                INSERT INTO analytics_instances VALUES (@resource, 'old', NULL, '[]', @old), (@resource, 'recent', NULL, '[]', @recent);
                """,
                new { resource, old = now.AddDays(-91).UtcDateTime, recent = now.AddDays(-89).UtcDateTime, oldDay = DateTime.SpecifyKind(now.AddDays(-91).UtcDateTime.Date, DateTimeKind.Unspecified), recentDay = DateTime.SpecifyKind(now.AddDays(-89).UtcDateTime.Date, DateTimeKind.Unspecified) });
        }

        var deleted = await new AnalyticsRetention(database.DataSource).DeleteBeforeAsync(now.AddDays(-90), CancellationToken.None);

        Assert.True(deleted >= 4);
        await using var check = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await check.ExecuteScalarAsync<long>("SELECT sum(events) FROM analytics_event_hours WHERE resource = @resource", new { resource }));
        Assert.Equal(2, await check.ExecuteScalarAsync<long>("SELECT sum(instances) FROM analytics_app_days WHERE resource = @resource", new { resource }));
        Assert.Equal(2, await check.ExecuteScalarAsync<long>("SELECT sum(count) FROM analytics_durations WHERE resource = @resource", new { resource }));
        Assert.Equal(["recent"], await check.QueryAsync<string>("SELECT instance FROM analytics_instances WHERE resource = @resource", new { resource }));
    }

    private static List<NewEvent> Generate(Random random, string app, string appResource, string genericResource)
    {
        var events = new List<NewEvent>();
        var baseTime = DateTimeOffset.UtcNow.AddDays(-5);
        NewEvent Event(string resource, string source, string type, DateTimeOffset? time) =>
            new(Guid.NewGuid().ToString(), source, resource, type, "/party/50001", null, 50001, time, $$"""{"specversion":"1.0","type":"{{type}}"}""", "/app/ttd/" + app);

        for (var n = 0; n < 25; n++)
        {
            var source = $"https://ttd.apps.altinn.no/ttd/{app}/instances/50001/{Guid.NewGuid()}";
            var t = baseTime.AddSeconds(random.Next(0, 4 * 86_400)).AddMilliseconds(random.Next(0, 1000));
            if (random.NextDouble() < 0.9)
            {
                events.Add(Event(appResource, source, ProcessEventTypes.Created, t));
                if (random.NextDouble() < 0.1)
                {
                    // Created twice, the second later: the instance is created at the earlier.
                    events.Add(Event(appResource, source, ProcessEventTypes.Created, t.AddSeconds(random.Next(1, 100))));
                }
            }

            var steps = random.Next(0, 6);
            for (var s = 0; s < steps; s++)
            {
                t = t.AddSeconds(random.Next(0, 4) == 0 ? 0 : random.Next(1, 30_000));
                var step = Event(appResource, source, ProcessEventTypes.MovedToPrefix + Tasks[random.Next(Tasks.Length)], t);
                events.Add(step);
                if (random.NextDouble() < 0.1)
                {
                    // The same step re-sent with a new id.
                    events.Add(step with { Id = Guid.NewGuid().ToString() });
                }
            }

            if (random.NextDouble() < 0.7)
            {
                events.Add(Event(appResource, source, ProcessEventTypes.Completed, t.AddSeconds(random.Next(0, 50_000))));
            }

            if (random.NextDouble() < 0.3)
            {
                events.Add(Event(appResource, source, OtherAppTypes[random.Next(OtherAppTypes.Length)], random.NextDouble() < 0.3 ? null : t));
            }
        }

        for (var n = 0; n < 60; n++)
        {
            var time = random.NextDouble() < 0.2 ? (DateTimeOffset?)null : baseTime.AddSeconds(random.Next(0, 5 * 86_400));
            events.Add(Event(genericResource, "https://tests.example/rollup", GenericTypes[random.Next(GenericTypes.Length)], time));
        }

        return events;
    }

    private async Task InsertAsync(IReadOnlyList<NewEvent> events)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        foreach (var request in events)
        {
            await EventStore.InsertAsync(connection, transaction, [request], TimeProvider.System, CancellationToken.None);
        }

        await transaction.CommitAsync();
    }

    // Until caught up; an aggregator that finds the other one counting waits its turn.
    private static async Task AggregateAsync(AnalyticsStore store, int batch)
    {
        AggregationResult result;
        while ((result = await store.AggregateNextAsync(batch, CancellationToken.None)).Events > 0 || result.Busy)
        {
            if (result.Busy)
            {
                await Task.Delay(5);
            }
        }
    }

    private sealed record Figures(
        Dictionary<(string Resource, DateTime Hour, string Type), long> Hours,
        Dictionary<(string Resource, DateOnly Day, string Metric), long> Days,
        Dictionary<(string Resource, DateOnly Day, string Metric, short Bucket), long> Durations);

    /// <summary>The figures straight from the stored events, by the rules the README states.</summary>
    private async Task<Figures> ComputeDirectlyAsync(string[] resources)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<(string Resource, string Type, string Source, DateTime Time)>(
            "SELECT resource, type, source, coalesce(time, registered) FROM events WHERE resource = ANY(@resources)", new { resources })).ToList();
        var hours = stored
            .GroupBy(e => (e.Resource, new DateTime(e.Time.Year, e.Time.Month, e.Time.Day, e.Time.Hour, 0, 0, DateTimeKind.Utc), e.Type))
            .ToDictionary(g => g.Key, g => (long)g.Count());

        var days = new Dictionary<(string, DateOnly, string), long>();
        var durations = new Dictionary<(string, DateOnly, string, short), long>();
        void Count<TKey>(Dictionary<TKey, long> into, TKey key) where TKey : notnull => into[key] = into.GetValueOrDefault(key) + 1;
        static DateOnly Day(DateTime t) => DateOnly.FromDateTime(t);

        foreach (var instance in stored.Where(e => e.Resource.Contains("app_", StringComparison.Ordinal)).GroupBy(e => (e.Resource, e.Source)))
        {
            var resource = instance.Key.Resource;
            var created = instance.Where(e => e.Type == "app.instance.created").Select(e => (DateTime?)e.Time).Min();
            var steps = instance
                .Where(e => e.Type == "app.instance.process.completed" || (e.Type.StartsWith("app.instance.process.movedTo.", StringComparison.Ordinal) && e.Type.Length > "app.instance.process.movedTo.".Length))
                .Select(e => (e.Time, Step: e.Type == "app.instance.process.completed" ? string.Empty : e.Type["app.instance.process.movedTo.".Length..]))
                .Distinct()
                .OrderBy(s => s.Time).ThenBy(s => s.Step, StringComparer.Ordinal)
                .ToList();
            if (created is { } c)
            {
                Count(days, (resource, Day(c), "created"));
            }

            foreach (var first in steps.GroupBy(s => s.Step).Select(g => g.First()))
            {
                Count(days, (resource, Day(first.Time), first.Step.Length == 0 ? "completed" : "task:" + first.Step));
                if (first.Step.Length == 0 && created is { } start && first.Time >= start)
                {
                    Count(durations, (resource, Day(first.Time), "completion", DurationHistogram.Bucket(first.Time - start)));
                }
            }

            for (var i = 0; i + 1 < steps.Count; i++)
            {
                if (steps[i].Step.Length > 0)
                {
                    Count(durations, (resource, Day(steps[i].Time), "task:" + steps[i].Step, DurationHistogram.Bucket(steps[i + 1].Time - steps[i].Time)));
                }
            }
        }

        return new Figures(hours, days, durations);
    }

    private async Task<Figures> ReadRollUpsAsync(string[] resources)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var hours = (await connection.QueryAsync<(string, DateTime, string, long)>(
                "SELECT resource, hour, type, events FROM analytics_event_hours WHERE resource = ANY(@resources) AND events <> 0", new { resources }))
            .ToDictionary(r => (r.Item1, DateTime.SpecifyKind(r.Item2, DateTimeKind.Utc), r.Item3), r => r.Item4);
        var days = (await connection.QueryAsync<(string, DateTime, string, long)>(
                "SELECT resource, day::timestamp, metric, instances FROM analytics_app_days WHERE resource = ANY(@resources) AND instances <> 0", new { resources }))
            .ToDictionary(r => (r.Item1, DateOnly.FromDateTime(r.Item2), r.Item3), r => r.Item4);
        var durations = (await connection.QueryAsync<(string, DateTime, string, short, long)>(
                "SELECT resource, day::timestamp, metric, bucket, count FROM analytics_durations WHERE resource = ANY(@resources) AND count <> 0", new { resources }))
            .ToDictionary(r => (r.Item1, DateOnly.FromDateTime(r.Item2), r.Item3, r.Item4), r => r.Item5);
        return new Figures(hours, days, durations);
    }
}
