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

    public sealed record MatchingResult(double EventsPerSecond, int Events, TimeSpan Elapsed, IReadOnlyDictionary<string, long> Deliveries, int Messages);

    /// <summary>
    /// S5: stores N events (with their outbox rows), each built from a random stored subscription so it matches it
    /// (resource, subject, type), sends their references to events-inbound in messages of 256 as the relay does, and measures until every event has its
    /// deliveries recorded and the queue is empty.
    /// </summary>
    public async Task<MatchingResult> MatchingAsync(int run, CancellationToken cancellationToken)
    {
        var prefix = Prefix("s5", run);
        var references = new List<EventReference>();
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand("""
            WITH picked AS (
                SELECT s.resource_filter, s.subject_filter, m[1] AS org, m[2] AS app, substr(s.subject_filter, 8) AS party, gen_random_uuid() AS guid
                FROM (SELECT resource_filter, subject_filter FROM subscriptions
                      WHERE subject_filter IS NOT NULL AND validation_status = 'validated' ORDER BY random() LIMIT @n) s
                CROSS JOIN LATERAL regexp_match(s.resource_filter, '^urn:altinn:resource:app_([^_]+)_(.+)$') m
            ), shaped AS (
                SELECT @prefix || guid AS id, format('https://%s.apps.altinn.no/%s/%s/instances/%s/%s', org, org, app, party, guid) AS source, *
                FROM picked
            )
            , stored AS (
                INSERT INTO events (registered, id, source, resource, type, subject, party_id, time, cloudevent)
                SELECT now(), id, source, resource_filter, 'app.instance.process.completed', subject_filter, party::int, now(),
                       json_build_object('specversion', '1.0', 'id', id, 'source', source, 'type', 'app.instance.process.completed',
                                         'subject', subject_filter, 'resource', resource_filter, 'resourceinstance', party || '/' || guid)::text
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
            insert.Parameters.AddWithValue("n", settings.MatchEvents);
            insert.Parameters.AddWithValue("prefix", prefix);
            insert.CommandTimeout = 600;
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                references.Add(new EventReference(reader.GetInt64(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)));
            }
        }

        var queue = new QueueClient(settings.Queues, "events-inbound");
        var messages = references.Chunk(256).Select(chunk => JsonSerializer.Serialize(new InboundMessage(chunk), Json)).ToList();
        var minSeq = references.Min(r => r.Seq);
        var maxSeq = references.Max(r => r.Seq);
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
        await using var done = new NpgsqlCommand("SELECT count(DISTINCT event_seq) FROM deliveries WHERE event_seq BETWEEN @min AND @max", connection);
        done.Parameters.AddWithValue("min", minSeq);
        done.Parameters.AddWithValue("max", maxSeq);
        while (watch.Elapsed < deadline)
        {
            if ((long)(await done.ExecuteScalarAsync(cancellationToken))! >= references.Count
                && (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount == 0)
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        var elapsed = watch.Elapsed;
        var finished = (long)(await done.ExecuteScalarAsync(cancellationToken))!;
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

        if (finished < references.Count)
        {
            throw new TimeoutException($"S5: only {finished} of {references.Count} events were matched within {deadline.TotalSeconds:F0} s");
        }

        return new MatchingResult(references.Count / elapsed.TotalSeconds, references.Count, elapsed, statuses, messages.Count);
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
