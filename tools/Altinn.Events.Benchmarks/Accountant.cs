using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Azure.Storage.Queues;
using Npgsql;

namespace Altinn.Events.Benchmarks;

/// <summary>
/// S9 (issue 19): the accountant with thousands of clients. The data is the CLI's <c>generate accountants</c> (an
/// accountant holding REGNA for <see cref="BenchSettings.AccountantClients"/> client parties, a DAGL and an auditor for
/// each, <see cref="BenchSettings.AllPartySubscriptions"/> subscriptions without a subject filter) and a share of the
/// generated events about the clients in the bench app, whose policy (written by bench.sh) lets DAGL, REGNA and PRIV read:
/// the permit path runs, and the permitted deliveries are pushed to a receiver in this process.
/// </summary>
internal sealed class Accountant(BenchSettings settings, HttpClient client, Stopwatch clock)
{
    // The names the CLI's AccountantGenerator writes.
    public const string Resource = "urn:altinn:resource:app_bench_accounts";
    public const string Consumer = "/user/900000001";
    public const int FirstClient = 3_000_000;
    private const string AccountantHook = "hook/s9-accountant";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Points the bench app's all-party subscriptions at the receiver: the accountant's at a path of its own.</summary>
    public async Task<int> RouteToAsync(Receiver receiver, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using var update = new NpgsqlCommand("""
            UPDATE subscriptions SET end_point = CASE WHEN consumer = @consumer THEN @accountant
                                                      ELSE (@holders)[1 + abs(hashtext(consumer)) % cardinality(@holders)] END
            WHERE resource_filter = @resource AND all_parties
            """, connection);
        update.Parameters.AddWithValue("consumer", Consumer);
        update.Parameters.AddWithValue("accountant", receiver.BaseUrls[0] + "/" + AccountantHook);
        update.Parameters.AddWithValue("holders", receiver.BaseUrls.Skip(1).Select(u => u + "/hook/s9-holders").ToArray());
        update.Parameters.AddWithValue("resource", Resource);
        update.CommandTimeout = 600;
        return await update.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One S9 inbound run: its rate, events, deliveries by status, the pushes' drain and CPU per event over the measured window.</summary>
    public sealed record MatchingResult(double EventsPerSecond, int Events, IReadOnlyDictionary<string, long> Deliveries, TimeSpan Drained, Scenarios.MatchingCpu Cpu);

    /// <summary>
    /// Inbound matching with the all-party subscriptions: stores N events of the bench app about random clients (with
    /// leased outbox rows, as S5), sends their references to events-inbound in messages of 256, and measures until every
    /// event has its deliveries recorded; then waits (unmeasured) until the permitted ones are pushed.
    /// </summary>
    public async Task<MatchingResult> MatchingAsync(int run, CancellationToken cancellationToken)
    {
        var prefix = $"bench-s9-r{run}-{Guid.NewGuid():N}-";
        var references = new List<EventReference>();
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        await using (var insert = new NpgsqlCommand("""
            WITH shaped AS (
                SELECT @prefix || g AS id, p AS party,
                       format('https://bench.apps.altinn.no/bench/accounts/instances/%s/%s', p, gen_random_uuid()) AS source
                FROM (SELECT g, @first + floor(random() * @clients)::int AS p FROM generate_series(1, @n) g) x
            ), stored AS (
                INSERT INTO events (registered, id, source, resource, type, subject, party_id, time, cloudevent)
                SELECT now(), id, source, @resource, 'app.instance.process.completed', '/party/' || party, party, now(),
                       json_build_object('specversion', '1.0', 'id', id, 'source', source, 'type', 'app.instance.process.completed',
                                         'subject', '/party/' || party, 'resource', @resource, 'resourceinstance', party || '/1')::text
                FROM shaped
                RETURNING seq, registered
            ), leased AS (
                INSERT INTO outbox (seq, registered, due, sends) SELECT seq, registered, now() + interval '1 hour', 1 FROM stored
            )
            SELECT seq, registered FROM stored
            """, connection))
        {
            insert.Parameters.AddWithValue("prefix", prefix);
            insert.Parameters.AddWithValue("first", FirstClient);
            insert.Parameters.AddWithValue("clients", settings.AccountantClients);
            insert.Parameters.AddWithValue("n", settings.AccountantMatchEvents);
            insert.Parameters.AddWithValue("resource", Resource);
            insert.CommandTimeout = 600;
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                references.Add(new EventReference(reader.GetInt64(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)));
            }
        }

        var queue = new QueueClient(settings.Queues, "events-inbound");
        var messages = references.Chunk(256).Select(chunk => JsonSerializer.Serialize(new InboundMessage(chunk), Json)).ToList();
        var (minSeq, maxSeq) = (references.Min(r => r.Seq), references.Max(r => r.Seq));
        var cpuStart = Scenarios.CpuSample.Take(settings);
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

        // Matched when the outbox rows are gone (the inbound stage deletes them in the transaction that records the
        // deliveries), polled as S5 polls: counting the runs' deliveries every 20 ms instead cost PostgreSQL 120 µs per
        // event of the run, beside the stage it measures. Every event's deliveries are counted once at the end.
        var deadline = TimeSpan.FromSeconds(Math.Max(60, references.Count / 50.0));
        await using var left = new NpgsqlCommand("SELECT count(*) FROM outbox WHERE seq BETWEEN @min AND @max", connection);
        left.Parameters.AddWithValue("min", minSeq);
        left.Parameters.AddWithValue("max", maxSeq);
        while (watch.Elapsed < deadline && (long)(await left.ExecuteScalarAsync(cancellationToken))! > 0)
        {
            await Task.Delay(50, cancellationToken);
        }

        var elapsed = watch.Elapsed;
        var cpu = cpuStart.PerEvent(Scenarios.CpuSample.Take(settings), references.Count);
        await using var done = new NpgsqlCommand("SELECT count(DISTINCT event_seq) FROM deliveries WHERE event_seq BETWEEN @min AND @max", connection);
        done.Parameters.AddWithValue("min", minSeq);
        done.Parameters.AddWithValue("max", maxSeq);
        var finished = (long)(await done.ExecuteScalarAsync(cancellationToken))!;
        if (finished < references.Count)
        {
            throw new TimeoutException($"S9: only {finished} of {references.Count} events were matched within {deadline.TotalSeconds:F0} s");
        }

        // Not measured: the pushes drain before the next run, so runs do not pile up on each other.
        await using var queued = new NpgsqlCommand("SELECT count(*) FROM deliveries WHERE event_seq BETWEEN @min AND @max AND status IN ('queued', 'pushing', 'waiting')", connection);
        queued.Parameters.AddWithValue("min", minSeq);
        queued.Parameters.AddWithValue("max", maxSeq);
        while (watch.Elapsed < elapsed + TimeSpan.FromSeconds(300) && (long)(await queued.ExecuteScalarAsync(cancellationToken))! > 0)
        {
            await Task.Delay(200, cancellationToken);
        }

        var drained = watch.Elapsed - elapsed;
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

        return new MatchingResult(references.Count / elapsed.TotalSeconds, references.Count, statuses, drained, cpu);
    }

    public sealed record QueryResult(ClosedLoop.Result AllParties, ClosedLoop.Result OneParty, int Cursors, double AverageRows);

    /// <summary>
    /// <c>GET /app/party</c> without a party for the accountant, pages of 50 from random cursors (ids of the clients'
    /// stored events); the baseline is the same caller asking about one client (<c>party</c>), from one of its events.
    /// </summary>
    public async Task<QueryResult> QueryAsync(CancellationToken cancellationToken)
    {
        var cursors = new List<(string Id, int Party)>();
        await using (var connection = new NpgsqlConnection(settings.Database))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT id, party_id FROM events WHERE resource = @r AND id NOT LIKE 'bench-s9-%' ORDER BY seq", connection);
            command.Parameters.AddWithValue("r", Resource);
            command.CommandTimeout = 600;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                cursors.Add((reader.GetString(0), reader.GetInt32(1)));
            }
        }

        // Cursors that leave a full page after them.
        var usable = cursors.Count > 500 ? cursors[..^400] : cursors.Count > 0 ? cursors : [("0", FirstClient)];
        long rows = 0, pages = 0;
        async Task<bool> PageAsync(string url, bool count, CancellationToken ct)
        {
            using var request = Http.Get(url, settings.AccountantToken);
            using var response = await client.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
            if (count)
            {
                Interlocked.Add(ref rows, page.RootElement.GetArrayLength());
                Interlocked.Increment(ref pages);
            }

            return true;
        }

        var all = await ClosedLoop.RunAsync(settings.QueryConcurrency, settings.Warmup, settings.Duration, (_, ct) =>
            PageAsync($"{settings.ApiUrl}/app/party?after={Uri.EscapeDataString(usable[Random.Shared.Next(usable.Count)].Id)}&size=50", true, ct), cancellationToken);
        var one = await ClosedLoop.RunAsync(settings.QueryConcurrency, settings.Warmup, settings.Duration, (_, ct) =>
        {
            var (id, party) = usable[Random.Shared.Next(usable.Count)];
            return PageAsync($"{settings.ApiUrl}/app/party?party={party.ToString(CultureInfo.InvariantCulture)}&after={Uri.EscapeDataString(id)}&size=50", false, ct);
        }, cancellationToken);
        return new QueryResult(all, one, cursors.Count, pages == 0 ? 0 : (double)rows / pages);
    }

    public sealed record PropagationResult(double GrantMs, double WithdrawMs, int PushedAfterWithdrawal, double PushP50Ms, int Published);

    /// <summary>
    /// Grant and withdrawal: events of a spare client (no roles yet) are published through <c>POST /app</c> every 50 ms;
    /// REGNA is granted to the accountant in the role table, and the time until the accountant's subscription receives
    /// the first of them published after the grant is measured; then it is withdrawn, and the figure is how long after
    /// the withdrawal the last push of the party's events arrived, with how many events published after it were pushed
    /// (none may be). The baseline is the publish-to-push latency of the same events while granted.
    /// </summary>
    public async Task<PropagationResult> PropagationAsync(Receiver receiver, int run, CancellationToken cancellationToken)
    {
        var party = FirstClient + settings.AccountantClients + (run % 100);
        var published = new ConcurrentDictionary<string, TimeSpan>(StringComparer.Ordinal);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var publisher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var at = clock.Elapsed;
                using var request = new HttpRequestMessage(HttpMethod.Post, settings.ApiUrl + "/app")
                {
                    Content = new StringContent(
                        "{\"specversion\":\"1.0\",\"type\":\"app.instance.created\",\"subject\":\"/party/" + party.ToString(CultureInfo.InvariantCulture)
                        + "\",\"source\":\"https://bench.apps.altinn.no/bench/accounts/instances/" + party.ToString(CultureInfo.InvariantCulture) + "/" + Guid.NewGuid() + "\"}",
                        Encoding.UTF8),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.BenchAppToken);
                using var response = await client.SendAsync(request, CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    published[JsonSerializer.Deserialize<string>(await response.Content.ReadAsStringAsync(CancellationToken.None))!] = at;
                }

                try
                {
                    await Task.Delay(50, stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }, CancellationToken.None);

        List<(string EventId, TimeSpan At)> Pushed() =>
            [.. receiver.Arrivals(string.Empty).Where(a => a.Endpoint == AccountantHook && published.ContainsKey(a.EventId)).Select(a => (a.EventId, a.At))];

        await Task.Delay(1000, cancellationToken); // events before the grant: none of them may be pushed later than the grant allows
        await using var connection = new NpgsqlConnection(settings.Database);
        await connection.OpenAsync(cancellationToken);
        var granted = clock.Elapsed;
        await using (var grant = new NpgsqlCommand("INSERT INTO party_roles (subject, party_id, role_code) VALUES (@s, @p, 'REGNA') ON CONFLICT DO NOTHING", connection))
        {
            grant.Parameters.AddWithValue("s", Consumer);
            grant.Parameters.AddWithValue("p", party);
            await grant.ExecuteNonQueryAsync(cancellationToken);
        }

        var wait = Stopwatch.StartNew();
        while (Pushed().All(p => published[p.EventId] < granted) && wait.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10, cancellationToken);
        }

        var first = Pushed().Where(p => published[p.EventId] >= granted).Select(p => p.At).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        await Task.Delay(1000, cancellationToken);
        var withdrawn = clock.Elapsed;
        await using (var withdraw = new NpgsqlCommand("DELETE FROM party_roles WHERE subject = @s AND party_id = @p", connection))
        {
            withdraw.Parameters.AddWithValue("s", Consumer);
            withdraw.Parameters.AddWithValue("p", party);
            await withdraw.ExecuteNonQueryAsync(cancellationToken);
        }

        await Task.Delay(3000, cancellationToken);
        await stop.CancelAsync();
        await publisher;
        await Task.Delay(3000, cancellationToken); // stragglers

        var pushed = Pushed();
        var latencies = new Latencies();
        foreach (var (id, at) in pushed.Where(p => published[p.EventId] >= granted && published[p.EventId] < withdrawn))
        {
            latencies.Add((at - published[id]).TotalMilliseconds);
        }

        var last = pushed.Select(p => p.At).DefaultIfEmpty(withdrawn).Max();
        return new PropagationResult(
            first == TimeSpan.MaxValue ? double.NaN : (first - granted).TotalMilliseconds,
            Math.Max(0, (last - withdrawn).TotalMilliseconds),
            pushed.Count(p => published[p.EventId] >= withdrawn),
            latencies.Percentile(50),
            published.Count);
    }
}
