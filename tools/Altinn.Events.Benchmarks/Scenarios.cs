using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Azure.Storage.Queues;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>The scenarios S1–S6 of issue 9. Each method is one run; the caller repeats it and takes the median.</summary>
internal sealed class Scenarios(BenchSettings settings, HttpClient client, Stopwatch clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string Prefix(string scenario, int run) => $"bench-{scenario}-r{run}-{Guid.NewGuid():N}-".ToString(CultureInfo.InvariantCulture);

    /// <summary>S1: POST /events at a fixed concurrency, each with a fresh id, for the configured time.</summary>
    public sealed record PublishResult(ClosedLoop.Result Loop, PublishCost.PerEvent Cost);

    /// <summary>S1: single events published by <paramref name="concurrency"/> closed-loop clients, and what each cost (<see cref="PublishCost"/>).</summary>
    public async Task<PublishResult> PublishAsync(int run, int concurrency, CancellationToken cancellationToken)
    {
        var prefix = Prefix("s1c" + concurrency.ToString(CultureInfo.InvariantCulture), run);
        var cost = PublishCost.MeasureAsync(settings, settings.Warmup, settings.Duration, cancellationToken);
        var loop = await ClosedLoop.RunAsync(concurrency, settings.Warmup, settings.Duration, async (n, ct) =>
        {
            using var request = Http.Publish(settings.ApiUrl, settings.PublishToken, prefix + n.ToString(CultureInfo.InvariantCulture));
            using var response = await client.SendAsync(request, ct);
            return response.StatusCode == HttpStatusCode.OK;
        }, cancellationToken);
        var (start, end) = await cost;
        return new PublishResult(loop, PublishCost.Divide(start, end, loop.PerSecond * settings.Duration.TotalSeconds));
    }

    /// <summary>The bare Kestrel baseline: the same client, body and concurrency against an endpoint that only reads the body.</summary>
    public Task<ClosedLoop.Result> BareKestrelAsync(string url, CancellationToken cancellationToken) =>
        ClosedLoop.RunAsync(settings.Concurrency, settings.Warmup, settings.Duration, async (n, ct) =>
        {
            using var request = Http.Publish(url, settings.PublishToken, "bench-kestrel-" + n.ToString(CultureInfo.InvariantCulture));
            using var response = await client.SendAsync(request, ct);
            return response.IsSuccessStatusCode;
        }, cancellationToken);

    public sealed record FreshnessResult(Latencies Visible, int Published, int Seen);

    /// <summary>
    /// S3: publishes 200 events one after another while a poller follows <c>next</c> from the newest stored event; the
    /// latency of each is from the start of its publish call until the poller's page held it. An empty page without
    /// <c>next</c> makes the poller wait 10 ms before asking again.
    /// </summary>
    public async Task<FreshnessResult> FreshnessAsync(int run, int count, CancellationToken cancellationToken)
    {
        var prefix = Prefix("s3", run);
        string after;
        await using (var connection = new NpgsqlConnection(settings.Database))
        {
            await connection.OpenAsync(cancellationToken);
            await using var last = new NpgsqlCommand("SELECT id FROM events WHERE resource = @r ORDER BY seq DESC LIMIT 1", connection);
            last.Parameters.AddWithValue("r", Http.TestResource);
            after = (string?)await last.ExecuteScalarAsync(cancellationToken) ?? "0";
        }

        var started = new ConcurrentDictionary<string, TimeSpan>();
        var visible = new Latencies();
        var seen = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var poller = Task.Run(async () =>
        {
            var url = $"{settings.ApiUrl}/events?resource={Uri.EscapeDataString(Http.TestResource)}&after={Uri.EscapeDataString(after)}&size=50";
            while (!stop.IsCancellationRequested && seen < count)
            {
                using var request = Http.Get(url, settings.SubscribeToken);
                using var response = await client.SendAsync(request, stop.Token);
                response.EnsureSuccessStatusCode();
                var at = clock.Elapsed;
                using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stop.Token));
                foreach (var e in page.RootElement.EnumerateArray())
                {
                    var id = e.GetProperty("id").GetString()!;
                    if (id.StartsWith(prefix, StringComparison.Ordinal) && started.TryGetValue(id, out var sent))
                    {
                        visible.Add((at - sent).TotalMilliseconds);
                        seen++;
                    }
                }

                if (response.Headers.TryGetValues("next", out var next))
                {
                    url = next.First();
                }

                if (page.RootElement.GetArrayLength() == 0)
                {
                    await Task.Delay(10, stop.Token);
                }
            }
        }, stop.Token);

        for (var i = 0; i < count; i++)
        {
            var id = prefix + i.ToString(CultureInfo.InvariantCulture);
            started[id] = clock.Elapsed;
            using var request = Http.Publish(settings.ApiUrl, settings.PublishToken, id);
            using var response = await client.SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            await Task.Delay(5, cancellationToken);
        }

        stop.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await poller;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }

        return new FreshnessResult(visible, count, seen);
    }

    public sealed record QueryResult(ClosedLoop.Result App, ClosedLoop.Result Events, int Cursors, double AverageRows);

    /// <summary>S4: pages of 50 from random cursors (ids of stored events of the query app) on both query endpoints.</summary>
    public async Task<QueryResult> QueryAsync(CancellationToken cancellationToken)
    {
        var resource = $"urn:altinn:resource:app_{settings.QueryOrg}_{settings.QueryApp}";
        var ids = new List<string>();
        await using (var connection = new NpgsqlConnection(settings.Database))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT id FROM events WHERE resource = @r ORDER BY seq", connection);
            command.Parameters.AddWithValue("r", resource);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetString(0));
            }
        }

        // Cursors that leave a full page after them where the app has enough events.
        var cursors = ids.Count > 100 ? ids[..^50] : ids.Count > 0 ? ids : ["0"];
        long rows = 0, pages = 0;
        async Task<bool> PageAsync(string url, CancellationToken ct)
        {
            using var request = Http.Get(url, settings.QueryOrgToken);
            using var response = await client.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            Interlocked.Add(ref rows, page.RootElement.GetArrayLength());
            Interlocked.Increment(ref pages);
            return true;
        }

        var app = await ClosedLoop.RunAsync(settings.QueryConcurrency, settings.Warmup, settings.Duration, (_, ct) =>
            PageAsync($"{settings.ApiUrl}/app/{settings.QueryOrg}/{settings.QueryApp}?after={Uri.EscapeDataString(cursors[Random.Shared.Next(cursors.Count)])}&size=50", ct), cancellationToken);
        var events = await ClosedLoop.RunAsync(settings.QueryConcurrency, settings.Warmup, settings.Duration, (_, ct) =>
            PageAsync($"{settings.ApiUrl}/events?resource={Uri.EscapeDataString(resource)}&after={Uri.EscapeDataString(cursors[Random.Shared.Next(cursors.Count)])}&size=50", ct), cancellationToken);
        return new QueryResult(app, events, ids.Count, pages == 0 ? 0 : (double)rows / pages);
    }

    /// <summary>Which stored subscriptions S5's events are built from.</summary>
    public enum MatchPick
    {
        /// <summary>Any validated subscription with a subject filter: the generated mix, issue 18's filters included.</summary>
        Mix,

        /// <summary>Only those without a type filter or <c>filters</c> (the subscriptions of before issue 18): S5's baseline.</summary>
        Plain,

        /// <summary>
        /// S5P: those to the apps with a bench policy (<see cref="PermitApps"/>), whose consumers are granted DAGL for the
        /// subscription's party before the run and whose endpoints are pointed at the receiver, so the PDP permits and the
        /// pushes are made.
        /// </summary>
        Permitted,
    }

    /// <summary>
    /// S5P's apps: the generated apps of org10 to org19 (1 000 apps), for which bench.sh writes a policy letting DAGL,
    /// REGNA and PRIV of the party read (the product app policy's party rule, without its owner rule).
    /// </summary>
    public static IEnumerable<string> PermitApps() =>
        from org in Enumerable.Range(10, 10)
        from app in Enumerable.Range(0, 100)
        select string.Create(CultureInfo.InvariantCulture, $"urn:altinn:resource:app_org{org}_app{app}");

    public sealed record MatchingResult(
        double EventsPerSecond, int Events, TimeSpan Elapsed, IReadOnlyDictionary<string, long> Deliveries, int Messages,
        long MatchedEvents, long TypedPicks, long FilteredPicks, long Pushed, TimeSpan Drained, MatchingCpu Cpu)
    {
        /// <summary>Deliveries recorded (each one decided by the PDP) per second of the run.</summary>
        public double DecisionsPerSecond => Deliveries.Values.Sum() / Elapsed.TotalSeconds;

        /// <summary>Permitted deliveries (queued for a push) per second of the run.</summary>
        public double PermitsPerSecond => Deliveries.Where(d => d.Key != "unauthorized").Sum(d => d.Value) / Elapsed.TotalSeconds;

        public string Describe()
        {
            var deliveries = string.Join(", ", Deliveries.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Value:N0} {d.Key}")));
            return string.Create(CultureInfo.InvariantCulture,
                $"{MatchedEvents:N0} of {Events:N0} events matched ({TypedPicks:N0} built from a subscription with a type filter, {FilteredPicks:N0} with filters); deliveries {deliveries}; {Cpu.Describe()}");
        }
    }

    /// <summary>
    /// CPU per event in the measured window (from sending the messages until every event was matched), in µs: the stage
    /// host, PostgreSQL (postmaster and backends), Azurite, this process (which holds S5P's and S9's receiver) and the API
    /// (whose holder indexer follows the store).
    /// </summary>
    public sealed record MatchingCpu(double StagesMicros, double PostgresMicros, double AzuriteMicros, double BenchMicros, double ApiMicros)
    {
        public string Describe() => string.Create(CultureInfo.InvariantCulture,
            $"CPU per event: stage host {StagesMicros:F0} µs, PostgreSQL {PostgresMicros:F0} µs, Azurite {AzuriteMicros:F0} µs, benchmark process {BenchMicros:F0} µs, API {ApiMicros:F0} µs");
    }

    /// <summary>CPU seconds used so far by the processes of <see cref="MatchingCpu"/>.</summary>
    internal readonly record struct CpuSample(double? Stages, double? Postgres, double? Azurite, double? Bench, double? Api)
    {
        public static CpuSample Take(BenchSettings settings) => new(
            ProcessCpu.Seconds(settings.StagesPid, withChildren: false), ProcessCpu.Seconds(settings.PostgresPid, withChildren: true),
            ProcessCpu.Seconds(settings.AzuritePid, withChildren: false), ProcessCpu.Seconds(Environment.ProcessId, withChildren: false),
            ProcessCpu.Seconds(settings.ApiPid, withChildren: false));

        /// <summary>CPU per event from this sample to <paramref name="end"/>.</summary>
        public MatchingCpu PerEvent(CpuSample end, int events)
        {
            static double Per(double? a, double? b, int n) => a is { } x && b is { } y && n > 0 ? (y - x) * 1e6 / n : double.NaN;
            return new MatchingCpu(Per(Stages, end.Stages, events), Per(Postgres, end.Postgres, events), Per(Azurite, end.Azurite, events), Per(Bench, end.Bench, events), Per(Api, end.Api, events));
        }
    }

    /// <summary>
    /// S5: stores N events (with their outbox rows), each built from a random stored subscription (<paramref name="pick"/>)
    /// with its resource, subject and source and one of the three generated types at random, so the subscription's type
    /// filter and filters let some through and not others; sends their references to events-inbound in messages of 256
    /// as the relay does, and measures until every event's outbox row is gone (the inbound stage deletes it with the
    /// event's deliveries, also when nothing matched) and the queue is empty. For <see cref="MatchPick.Permitted"/> the
    /// picked consumers are granted DAGL for their party (their endpoints point at <paramref name="receiver"/>:
    /// <see cref="RoutePermitAppsAsync"/>); after the measurement the pushes are waited for (not measured).
    /// </summary>
    public async Task<MatchingResult> MatchingAsync(int run, CancellationToken cancellationToken, MatchPick pick = MatchPick.Mix, Receiver? receiver = null)
    {
        var prefix = Prefix(pick == MatchPick.Permitted ? "s5p" : "s5", run);
        var references = new List<EventReference>();
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        var where = pick switch
        {
            MatchPick.Plain => "AND type_filter IS NULL AND filters IS NULL",
            MatchPick.Permitted => "AND resource_filter = ANY(@apps)",
            _ => string.Empty,
        };
        await using (var picked = new NpgsqlCommand($"""
            DROP TABLE IF EXISTS s5_picked;
            CREATE TEMP TABLE s5_picked AS
            SELECT id, consumer, resource_filter, subject_filter, type_filter IS NOT NULL AS typed, filters IS NOT NULL AS filtered,
                   (ARRAY['app.instance.created', 'app.instance.process.movedTo.Task_1', 'app.instance.process.completed'])[1 + floor(random() * 3)::int] AS type
            FROM subscriptions
            WHERE subject_filter IS NOT NULL AND validation_status = 'validated' AND NOT all_parties {where}
            ORDER BY random() LIMIT @n
            """, connection))
        {
            picked.Parameters.AddWithValue("n", pick == MatchPick.Permitted ? settings.PermitMatchEvents : settings.MatchEvents);
            picked.Parameters.AddWithValue("apps", PermitApps().ToArray());
            picked.CommandTimeout = 600;
            await picked.ExecuteNonQueryAsync(cancellationToken);
        }

        if (pick == MatchPick.Permitted)
        {
            // The picked consumers may read their parties' events (DAGL of an organisation party the register knows), and
            // their pushes go to the receiver on loopback.
            await using var grant = new NpgsqlCommand("""
                INSERT INTO parties (party_id, party_type, name, organisation_number)
                SELECT DISTINCT substr(subject_filter, 8)::int, 'organisation', 'Bench S5P party', lpad((substr(subject_filter, 8)::int - 1000000 + 100000000)::text, 9, '0')
                FROM s5_picked ON CONFLICT DO NOTHING;
                INSERT INTO party_roles (subject, party_id, role_code)
                SELECT DISTINCT consumer, substr(subject_filter, 8)::int, 'DAGL' FROM s5_picked ON CONFLICT DO NOTHING;
                """, connection);
            grant.CommandTimeout = 600;
            await grant.ExecuteNonQueryAsync(cancellationToken);
            if (run == 0 && !settings.Smoke)
            {
                // The first S5P run (the warm-up, 0): decisions are cached for Authorization:DecisionCacheSeconds (10), so a deny from an earlier S5 run about the
                // same consumer and party must expire first (the smoke run, which only proves the path, does not wait).
                await Task.Delay(TimeSpan.FromSeconds(11), cancellationToken);
            }
        }

        await using (var insert = new NpgsqlCommand("""
            WITH shaped AS (
                SELECT @prefix || guid AS id, format('https://%s.apps.altinn.no/%s/%s/instances/%s/%s', org, org, app, party, guid) AS source, *
                FROM (SELECT p.resource_filter, p.subject_filter, p.type, m[1] AS org, m[2] AS app, substr(p.subject_filter, 8) AS party, gen_random_uuid() AS guid
                      FROM s5_picked p CROSS JOIN LATERAL regexp_match(p.resource_filter, '^urn:altinn:resource:app_([^_]+)_(.+)$') m) x
            ), stored AS (
                INSERT INTO events (registered, id, source, resource, type, subject, party_id, time, cloudevent)
                SELECT now(), id, source, resource_filter, type, subject_filter, party::int, now(),
                       json_build_object('specversion', '1.0', 'id', id, 'source', source, 'type', type, 'time', now(),
                                         'subject', subject_filter, 'resource', resource_filter, 'resourceinstance', party || '/' || guid,
                                         'alternativesubject', '/person/01017012345')::text
                FROM shaped
                RETURNING seq, registered
            ), leased AS (
                -- Outbox rows as the relay leaves them once it has sent their message (the inbound stage matches only
                -- events whose row is there); leased for an hour, so the API's relay does not send them as well.
                INSERT INTO outbox (seq, registered, due, sends) SELECT seq, registered, now() + interval '1 hour', 1 FROM stored
            )
            SELECT seq, registered FROM stored
            """, connection))
        {
            insert.Parameters.AddWithValue("prefix", prefix);
            insert.CommandTimeout = 600;
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                references.Add(new EventReference(reader.GetInt64(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)));
            }
        }

        long typed, filtered;
        await using (var kinds = new NpgsqlCommand("SELECT count(*) FILTER (WHERE typed), count(*) FILTER (WHERE filtered) FROM s5_picked", connection))
        await using (var reader = await kinds.ExecuteReaderAsync(cancellationToken))
        {
            await reader.ReadAsync(cancellationToken);
            (typed, filtered) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        var queue = new QueueClient(settings.Queues, "events-inbound");
        var messages = references.Chunk(256).Select(chunk => JsonSerializer.Serialize(new InboundMessage(chunk), Json)).ToList();
        var minSeq = references.Min(r => r.Seq);
        var maxSeq = references.Max(r => r.Seq);
        var cpuStart = CpuSample.Take(settings);
        var watch = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(16))
        {
            await Task.WhenAll(messages.Select(async body =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    await queue.SendMessageAsync(body, cancellationToken);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var deadline = TimeSpan.FromSeconds(Math.Max(60, references.Count / 50.0));
        await using var left = new NpgsqlCommand("SELECT count(*) FROM outbox WHERE seq BETWEEN @min AND @max", connection);
        left.Parameters.AddWithValue("min", minSeq);
        left.Parameters.AddWithValue("max", maxSeq);
        long waiting = references.Count;
        while (watch.Elapsed < deadline)
        {
            waiting = (long)(await left.ExecuteScalarAsync(cancellationToken))!;
            if (waiting == 0 && (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount == 0)
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        var elapsed = watch.Elapsed;
        var cpu = cpuStart.PerEvent(CpuSample.Take(settings), references.Count);
        if (waiting > 0)
        {
            throw new TimeoutException($"S5: {waiting} of {references.Count} events were not matched within {deadline.TotalSeconds:F0} s");
        }

        // Not measured: the permitted pushes drain before the next run, so runs do not pile up on each other.
        var drained = TimeSpan.Zero;
        if (pick == MatchPick.Permitted)
        {
            await using var queued = new NpgsqlCommand("SELECT count(*) FROM deliveries WHERE event_seq BETWEEN @min AND @max AND status IN ('queued', 'pushing', 'waiting')", connection);
            queued.Parameters.AddWithValue("min", minSeq);
            queued.Parameters.AddWithValue("max", maxSeq);
            while (watch.Elapsed < elapsed + TimeSpan.FromSeconds(300) && (long)(await queued.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                await Task.Delay(200, cancellationToken);
            }

            drained = watch.Elapsed - elapsed;
        }

        var statuses = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var count = new NpgsqlCommand("SELECT status, count(*) FROM deliveries WHERE event_seq BETWEEN @min AND @max GROUP BY status", connection))
        {
            count.Parameters.AddWithValue("min", minSeq);
            count.Parameters.AddWithValue("max", maxSeq);
            await using var reader = await count.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                statuses[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using var matched = new NpgsqlCommand("SELECT count(DISTINCT event_seq) FROM deliveries WHERE event_seq BETWEEN @min AND @max", connection);
        matched.Parameters.AddWithValue("min", minSeq);
        matched.Parameters.AddWithValue("max", maxSeq);
        var matchedEvents = (long)(await matched.ExecuteScalarAsync(cancellationToken))!;
        var pushed = receiver?.Count(prefix) ?? 0;
        return new MatchingResult(references.Count / elapsed.TotalSeconds, references.Count, elapsed, statuses, messages.Count, matchedEvents, typed, filtered, pushed, drained, cpu);
    }

    /// <summary>
    /// S5P, once before its runs: points every subscription to <see cref="PermitApps"/> at <paramref name="receiver"/> (by
    /// their id over its ports), then vacuums, so the runs' match probes do not meet the dead row versions of the update.
    /// </summary>
    public async Task<int> RoutePermitAppsAsync(Receiver receiver, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        int routed;
        await using (var route = new NpgsqlCommand(
            "UPDATE subscriptions SET end_point = (@hooks)[1 + abs(hashtext(id::text)) % cardinality(@hooks)] WHERE resource_filter = ANY(@apps) AND subject_filter IS NOT NULL", connection))
        {
            route.Parameters.AddWithValue("hooks", receiver.BaseUrls.Select(u => u + "/hook/s5p").ToArray());
            route.Parameters.AddWithValue("apps", PermitApps().ToArray());
            route.CommandTimeout = 600;
            routed = await route.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) subscriptions", connection) { CommandTimeout = 600 };
        await vacuum.ExecuteNonQueryAsync(cancellationToken);
        return routed;
    }

    /// <summary>S5P: withdraws the DAGL roles it granted (generated parties only), so later scenarios' decisions are denies again.</summary>
    public async Task WithdrawPermitsAsync(CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using var withdraw = new NpgsqlCommand(
            "DELETE FROM party_roles WHERE role_code = 'DAGL' AND subject LIKE '/user/%' AND party_id BETWEEN @first AND @last", connection);
        withdraw.Parameters.AddWithValue("first", 1_000_000);
        withdraw.Parameters.AddWithValue("last", 1_999_999);
        withdraw.CommandTimeout = 600;
        await withdraw.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Creates a subscription to the test resource at <paramref name="endPoint"/> and waits until it is validated.</summary>
    public async Task<string> SubscribeAsync(string endPoint, CancellationToken cancellationToken, string? typeFilter = null)
    {
        using var create = new HttpRequestMessage(HttpMethod.Post, settings.ApiUrl + "/subscriptions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { endPoint, resourceFilter = Http.TestResource, typeFilter }), Encoding.UTF8, "application/json"),
        };
        create.Headers.Authorization = new("Bearer", settings.SubscribeToken);
        using var created = await client.SendAsync(create, cancellationToken);
        var body = await created.Content.ReadAsStringAsync(cancellationToken);
        if (!created.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating a subscription answered {(int)created.StatusCode}: {body}");
        }

        var id = JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var get = Http.Get(settings.ApiUrl + "/subscriptions/" + id, settings.SubscribeToken);
            using var response = await client.SendAsync(get, cancellationToken);
            var status = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("validationStatus").GetString();
            if (status == "validated")
            {
                return id;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"subscription {id} at {endPoint} was not validated within 60 s");
    }

    public async Task UnsubscribeAsync(string id, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, settings.ApiUrl + "/subscriptions/" + id);
        request.Headers.Authorization = new("Bearer", settings.SubscribeToken);
        using var response = await client.SendAsync(request, cancellationToken);
    }

    public sealed record EndToEndResult(Latencies Latency, double AchievedRate, int Expected, int Received);

    /// <summary>S2: publishes at a fixed rate (open loop) and measures publish start to webhook arrival for every delivery.</summary>
    public async Task<EndToEndResult> EndToEndAsync(Receiver receiver, int run, int subscriptions, CancellationToken cancellationToken)
    {
        var prefix = Prefix("s2", run);
        var total = (int)(settings.EndToEndRate * settings.Duration.TotalSeconds);
        var started = new ConcurrentDictionary<string, TimeSpan>();
        var inFlight = new List<Task>();
        using var gate = new SemaphoreSlim(256);
        var begin = Stopwatch.StartNew();
        var sent = 0;
        while (sent < total)
        {
            var due = Math.Min(total, (int)(begin.Elapsed.TotalSeconds * settings.EndToEndRate) + 1);
            for (; sent < due; sent++)
            {
                await gate.WaitAsync(cancellationToken);
                var id = prefix + sent.ToString(CultureInfo.InvariantCulture);
                started[id] = clock.Elapsed;
                inFlight.Add(Task.Run(async () =>
                {
                    try
                    {
                        using var request = Http.Publish(settings.ApiUrl, settings.PublishToken, id);
                        using var response = await client.SendAsync(request, cancellationToken);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }, cancellationToken));
            }

            await Task.Delay(2, cancellationToken);
        }

        await Task.WhenAll(inFlight);
        var achieved = total / begin.Elapsed.TotalSeconds;
        var expected = total * subscriptions;
        var wait = Stopwatch.StartNew();
        while (receiver.Count(prefix) < expected && wait.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50, cancellationToken);
        }

        var latency = new Latencies();
        foreach (var (_, eventId, at) in receiver.Arrivals(prefix))
        {
            latency.Add((at - started[eventId]).TotalMilliseconds);
        }

        return new EndToEndResult(latency, achieved, expected, receiver.Count(prefix));
    }

    /// <summary>S2i: 40 single events, 0.5 s apart, to an otherwise idle service; publish start to webhook arrival.</summary>
    public async Task<EndToEndResult> IdleEndToEndAsync(Receiver receiver, int run, int subscriptions, CancellationToken cancellationToken)
    {
        const int Events = 40;
        var prefix = Prefix("s2i", run);
        var started = new Dictionary<string, TimeSpan>();
        for (var i = 0; i < Events; i++)
        {
            var id = prefix + i.ToString(CultureInfo.InvariantCulture);
            started[id] = clock.Elapsed;
            using (var request = Http.Publish(settings.ApiUrl, settings.PublishToken, id))
            using (var response = await client.SendAsync(request, cancellationToken))
            {
                response.EnsureSuccessStatusCode();
            }

            await Task.Delay(500, cancellationToken);
        }

        var expected = Events * subscriptions;
        var wait = Stopwatch.StartNew();
        while (receiver.Count(prefix) < expected && wait.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50, cancellationToken);
        }

        var latency = new Latencies();
        foreach (var (_, eventId, at) in receiver.Arrivals(prefix))
        {
            latency.Add((at - started[eventId]).TotalMilliseconds);
        }

        return new EndToEndResult(latency, Events / 20.0, expected, receiver.Count(prefix));
    }

    /// <summary>Validation at idle: from the create request to the validation request at the endpoint, in ms.</summary>
    public async Task<double> ValidationLatencyAsync(Receiver receiver, int run, CancellationToken cancellationToken)
    {
        var name = "validate-" + run.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8];
        var started = clock.Elapsed;
        var id = await SubscribeAsync($"{receiver.BaseUrls[0]}/hook/{name}", cancellationToken);
        var arrived = receiver.ValidatedAt(name) ?? throw new InvalidOperationException($"subscription {id} was validated but its endpoint saw no validation request");
        await UnsubscribeAsync(id, cancellationToken);
        await Task.Delay(500, cancellationToken);
        return (arrived - started).TotalMilliseconds;
    }

    public sealed record PushResult(double DeliveriesPerSecond, int Expected, int Received, TimeSpan Span);

    /// <summary>The <c>endpointHealth</c> of a subscription: its state and how many of its deliveries wait.</summary>
    public async Task<(string State, long Waiting)> HealthAsync(string id, CancellationToken cancellationToken)
    {
        using var get = Http.Get(settings.ApiUrl + "/subscriptions/" + id, settings.SubscribeToken);
        using var response = await client.SendAsync(get, cancellationToken);
        var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken)).RootElement.GetProperty("endpointHealth");
        return (health.GetProperty("state").GetString()!, health.GetProperty("waitingDeliveries").GetInt64());
    }

    /// <summary>S7: publishes <paramref name="count"/> events of <see cref="Http.DeadType"/> in batches of 100, 4 at a time.</summary>
    public async Task PublishBacklogAsync(int count, CancellationToken cancellationToken)
    {
        var ids = Enumerable.Range(0, count).Select(i => "s7-dead-" + i.ToString(CultureInfo.InvariantCulture)).ToList();
        using var gate = new SemaphoreSlim(4);
        await Task.WhenAll(ids.Chunk(100).Select(async chunk =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                using var request = Http.PublishBatch(settings.ApiUrl, settings.PublishToken, chunk, Http.DeadType);
                using var response = await client.SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>
    /// S6: publishes the push events in batches of 100 and measures the healthy endpoints' delivery rate, from the first
    /// delivery that arrived to the last.
    /// </summary>
    public async Task<PushResult> PushAsync(Receiver receiver, int run, int healthySubscriptions, CancellationToken cancellationToken)
    {
        var prefix = Prefix("s6", run);
        var ids = Enumerable.Range(0, settings.PushEvents).Select(i => prefix + i.ToString(CultureInfo.InvariantCulture)).ToList();
        using (var gate = new SemaphoreSlim(4))
        {
            await Task.WhenAll(ids.Chunk(100).Select(async chunk =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    using var request = Http.PublishBatch(settings.ApiUrl, settings.PublishToken, chunk);
                    using var response = await client.SendAsync(request, cancellationToken);
                    response.EnsureSuccessStatusCode();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var expected = ids.Count * healthySubscriptions;
        var wait = Stopwatch.StartNew();
        var deadline = TimeSpan.FromSeconds(Math.Max(60, expected / 200.0));
        while (receiver.Count(prefix) < expected && wait.Elapsed < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        var arrivals = receiver.Arrivals(prefix).Where(a => a.Endpoint.StartsWith("hook/", StringComparison.Ordinal)).Select(a => a.At).Order().ToList();
        if (arrivals.Count < 2)
        {
            return new PushResult(double.NaN, expected, arrivals.Count, TimeSpan.Zero);
        }

        var span = arrivals[^1] - arrivals[0];
        return new PushResult((arrivals.Count - 1) / span.TotalSeconds, expected, arrivals.Count, span);
    }
}
