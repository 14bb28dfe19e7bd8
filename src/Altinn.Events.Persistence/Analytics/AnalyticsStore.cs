using System.Text.Json;
using Altinn.Events.Core.Analytics;
using Altinn.Events.Core.Authorization;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Altinn.Events.Persistence.Analytics;

/// <summary>What one aggregation batch did.</summary>
/// <param name="Events">Events counted (0: caught up).</param>
/// <param name="Instances">App instances whose process figures changed.</param>
/// <param name="Cursor">The last sequence number counted (-1 when <paramref name="Busy"/>).</param>
/// <param name="Busy">Another aggregator had the turn: nothing was read; try again later.</param>
public readonly record struct AggregationResult(int Events, int Instances, long Cursor, bool Busy = false);

/// <summary>
/// The analytics roll-ups' writer (migration 0014). A batch first tries the aggregator's advisory lock
/// (<see cref="TurnLockKey"/>, for the transaction): an instance that does not get it skips the round instead of waiting
/// with an open transaction, and an operator (or the benchmark) can pause every aggregator by holding the lock in an idle
/// session, which holds back no vacuum. The batch then takes the cursor row <c>FOR UPDATE</c>, reads the next events in sequence order (events commit in sequence order, so nothing below the
/// cursor can still appear), adds their counts with <c>INSERT ... ON CONFLICT DO UPDATE</c>, corrects the process figures
/// of the instances they belong to, and advances the cursor, all in one transaction: a batch is counted exactly once,
/// whatever crashes. The publish path is untouched: this only reads the events table.
/// </summary>
public sealed class AnalyticsStore(NpgsqlDataSource dataSource)
{
    public const string CursorName = "rollup";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The advisory lock whose holder counts ("AltnEvAn"); per database.</summary>
    public const long TurnLockKey = 0x416c746e4576416e;

    private const string TryTurnSql = "SELECT pg_try_advisory_xact_lock(@key)";

    private const string LockCursorSql = "SELECT seq, registered FROM analytics_cursor WHERE name = @name FOR UPDATE";

    // Registration times ascend with seq but for writers' clock differences: the floor allows five minutes, as the query
    // cursors do, and lets PostgreSQL skip the older day partitions.
    private const string NextEventsSql = """
        SELECT seq, registered, resource, type, source, coalesce(time, registered) AS time
        FROM events
        WHERE seq > @after AND registered >= @floor
        ORDER BY seq
        LIMIT @max
        """;

    private const string AdvanceSql = "UPDATE analytics_cursor SET seq = @seq, registered = @registered WHERE name = @name";

    private const string AddEventHoursSql = """
        INSERT INTO analytics_event_hours AS h (resource, hour, type, events)
        SELECT * FROM unnest(@resources, @hours, @types, @counts)
        ON CONFLICT (resource, hour, type) DO UPDATE SET events = h.events + excluded.events
        """;

    private const string LoadInstancesSql = """
        SELECT i.resource, i.instance, i.created, i.steps::text AS steps
        FROM analytics_instances i
        JOIN unnest(@resources, @instances) AS k (resource, instance) ON k.resource = i.resource AND k.instance = i.instance
        FOR UPDATE OF i
        """;

    private const string SaveInstancesSql = """
        INSERT INTO analytics_instances AS i (resource, instance, created, steps, last_time)
        SELECT r, n, c, s::jsonb, l FROM unnest(@resources, @instances, @created, @steps, @lastTimes) AS t (r, n, c, s, l)
        ON CONFLICT (resource, instance) DO UPDATE SET created = excluded.created, steps = excluded.steps, last_time = excluded.last_time
        """;

    private const string AddAppDaysSql = """
        INSERT INTO analytics_app_days AS d (resource, day, metric, instances)
        SELECT * FROM unnest(@resources, @days, @metrics, @counts)
        ON CONFLICT (resource, day, metric) DO UPDATE SET instances = d.instances + excluded.instances
        """;

    private const string AddDurationsSql = """
        INSERT INTO analytics_durations AS d (resource, day, metric, bucket, count)
        SELECT * FROM unnest(@resources, @days, @metrics, @buckets, @counts)
        ON CONFLICT (resource, day, metric, bucket) DO UPDATE SET count = d.count + excluded.count
        """;

    /// <summary>Counts the next up to <paramref name="max"/> events after the cursor, in one transaction with the cursor's advance.</summary>
    public async Task<AggregationResult> AggregateNextAsync(int max, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(TryTurnSql, new { key = TurnLockKey }, transaction, cancellationToken: cancellationToken)))
        {
            await transaction.RollbackAsync(cancellationToken);
            return new AggregationResult(0, 0, -1, Busy: true);
        }

        var (after, registered) = await connection.QuerySingleAsync<(long, DateTime)>(new CommandDefinition(LockCursorSql, new { name = CursorName }, transaction, cancellationToken: cancellationToken));
        var floor = registered <= DateTime.MinValue.AddDays(1) ? DateTime.SpecifyKind(DateTime.MinValue, DateTimeKind.Utc) : DateTime.SpecifyKind(registered.AddMinutes(-5), DateTimeKind.Utc);
        var events = (await connection.QueryAsync<StoredEventRow>(new CommandDefinition(
            NextEventsSql,
            new { after, floor, max },
            transaction,
            cancellationToken: cancellationToken))).AsList();
        if (events.Count == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new AggregationResult(0, 0, after);
        }

        await AddEventHoursAsync(connection, transaction, events, cancellationToken);
        var instances = await AddProcessFiguresAsync(connection, transaction, events, cancellationToken);
        var last = events[^1];
        await connection.ExecuteAsync(new CommandDefinition(AdvanceSql, new { seq = last.Seq, registered = last.Registered, name = CursorName }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new AggregationResult(events.Count, instances, last.Seq);
    }

    private static async Task AddEventHoursAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<StoredEventRow> events, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<(string Resource, DateTime Hour, string Type), long>();
        foreach (var e in events)
        {
            var time = e.TimeUtc;
            var key = (e.Resource, new DateTime(time.Year, time.Month, time.Day, time.Hour, 0, 0, DateTimeKind.Utc), e.Type);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        await using var command = new NpgsqlCommand(AddEventHoursSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("resources", [.. counts.Keys.Select(k => k.Resource)]));
        command.Parameters.Add(new NpgsqlParameter<DateTime[]>("hours", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. counts.Keys.Select(k => k.Hour)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("types", [.. counts.Keys.Select(k => k.Type)]));
        command.Parameters.Add(new NpgsqlParameter<long[]>("counts", [.. counts.Values]));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> AddProcessFiguresAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<StoredEventRow> events, CancellationToken cancellationToken)
    {
        // App process events only; the instance is the event's source (.../instances/{partyId}/{guid}).
        var process = events
            .Where(e => (e.Type == ProcessEventTypes.Created || ProcessEventTypes.StepOf(e.Type) is not null) && AppResources.TryParse(e.Resource, out _, out _))
            .ToList();
        if (process.Count == 0)
        {
            return 0;
        }

        var keys = process.Select(e => (e.Resource, e.Source)).Distinct().ToList();
        var timelines = new Dictionary<(string, string), (InstanceTimeline Timeline, List<Contribution> Before)>();
        await using (var load = new NpgsqlCommand(LoadInstancesSql, connection, transaction))
        {
            load.Parameters.Add(new NpgsqlParameter<string[]>("resources", [.. keys.Select(k => k.Resource)]));
            load.Parameters.Add(new NpgsqlParameter<string[]>("instances", [.. keys.Select(k => k.Source)]));
            await using var reader = await load.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var created = await reader.IsDBNullAsync(2, cancellationToken) ? (DateTimeOffset?)null : new DateTimeOffset(await reader.GetFieldValueAsync<DateTime>(2, cancellationToken));
                var steps = JsonSerializer.Deserialize<List<StepJson>>(reader.GetString(3), Json)!.Select(s => new ProcessStep(s.T, s.S));
                var timeline = new InstanceTimeline(created, steps);
                timelines[(reader.GetString(0), reader.GetString(1))] = (timeline, [.. timeline.Contributions()]);
            }
        }

        var changed = new HashSet<(string, string)>();
        foreach (var e in process)
        {
            var key = (e.Resource, e.Source);
            if (!timelines.TryGetValue(key, out var entry))
            {
                entry = (new InstanceTimeline(), []);
                timelines[key] = entry;
            }

            if (entry.Timeline.Add(e.Type, new DateTimeOffset(e.TimeUtc)))
            {
                changed.Add(key);
            }
        }

        if (changed.Count == 0)
        {
            return 0;
        }

        var days = new Dictionary<(string Resource, DateOnly Day, string Metric), long>();
        var durations = new Dictionary<(string Resource, DateOnly Day, string Metric, short Bucket), long>();
        foreach (var key in changed)
        {
            var (timeline, before) = timelines[key];
            foreach (var (c, n) in InstanceTimeline.Difference(before, timeline.Contributions()))
            {
                if (c.IsCount)
                {
                    var k = (key.Item1, c.Day, c.Metric);
                    days[k] = days.GetValueOrDefault(k) + n;
                }
                else
                {
                    var k = (key.Item1, c.Day, c.Metric, c.Bucket);
                    durations[k] = durations.GetValueOrDefault(k) + n;
                }
            }
        }

        var saved = changed.ToList();
        await using var batch = new NpgsqlBatch(connection, transaction);
        var save = new NpgsqlBatchCommand(SaveInstancesSql);
        save.Parameters.Add(new NpgsqlParameter<string[]>("resources", [.. saved.Select(k => k.Item1)]));
        save.Parameters.Add(new NpgsqlParameter<string[]>("instances", [.. saved.Select(k => k.Item2)]));
        save.Parameters.Add(new NpgsqlParameter<DateTime?[]>("created", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. saved.Select(k => timelines[k].Timeline.Created?.UtcDateTime)] });
        save.Parameters.Add(new NpgsqlParameter<string[]>("steps", [.. saved.Select(k => JsonSerializer.Serialize(timelines[k].Timeline.Steps.Select(s => new StepJson(s.Time, s.Step)), Json))]));
        save.Parameters.Add(new NpgsqlParameter<DateTime[]>("lastTimes", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. saved.Select(k => timelines[k].Timeline.LastTime!.Value.UtcDateTime)] });
        batch.BatchCommands.Add(save);
        if (days.Count > 0)
        {
            var add = new NpgsqlBatchCommand(AddAppDaysSql);
            add.Parameters.Add(new NpgsqlParameter<string[]>("resources", [.. days.Keys.Select(k => k.Resource)]));
            add.Parameters.Add(new NpgsqlParameter<DateOnly[]>("days", [.. days.Keys.Select(k => k.Day)]));
            add.Parameters.Add(new NpgsqlParameter<string[]>("metrics", [.. days.Keys.Select(k => k.Metric)]));
            add.Parameters.Add(new NpgsqlParameter<long[]>("counts", [.. days.Values]));
            batch.BatchCommands.Add(add);
        }

        if (durations.Count > 0)
        {
            var add = new NpgsqlBatchCommand(AddDurationsSql);
            add.Parameters.Add(new NpgsqlParameter<string[]>("resources", [.. durations.Keys.Select(k => k.Resource)]));
            add.Parameters.Add(new NpgsqlParameter<DateOnly[]>("days", [.. durations.Keys.Select(k => k.Day)]));
            add.Parameters.Add(new NpgsqlParameter<string[]>("metrics", [.. durations.Keys.Select(k => k.Metric)]));
            add.Parameters.Add(new NpgsqlParameter<short[]>("buckets", [.. durations.Keys.Select(k => k.Bucket)]));
            add.Parameters.Add(new NpgsqlParameter<long[]>("counts", [.. durations.Values]));
            batch.BatchCommands.Add(add);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
        return changed.Count;
    }

    private sealed record StoredEventRow(long Seq, DateTime Registered, string Resource, string Type, string Source, DateTime Time)
    {
        public DateTime TimeUtc => DateTime.SpecifyKind(Time, DateTimeKind.Utc);
    }

    private sealed record StepJson(DateTimeOffset T, string S);
}
