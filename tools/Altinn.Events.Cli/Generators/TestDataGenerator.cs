using System.Globalization;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Npgsql;
using NpgsqlTypes;

namespace Altinn.Events.Cli.Generators;

/// <summary>
/// Fills a database with synthetic subscriptions and events through binary COPY, for scale tests and benchmarks:
/// a million subscriptions or ten million events in minutes, not hours. Deterministic for a given seed.
/// </summary>
public static class TestDataGenerator
{
    /// <summary>Apps the generated data spreads over: <c>urn:altinn:resource:app_org{o}_app{a}</c>.</summary>
    public const int Orgs = 100;
    public const int AppsPerOrg = 100;

    /// <summary>Parties the generated data spreads over, from 1 000 000 up.</summary>
    public const int Parties = 1_000_000;
    public const int FirstParty = 1_000_000;

    public static string AppResource(int org, int app) => FormattableString.Invariant($"urn:altinn:resource:app_org{org}_app{app}");

    public static string AppSource(int org, int app) => FormattableString.Invariant($"https://org{org}.apps.altinn.no/org{org}/app{app}");

    /// <summary>
    /// Validated subscriptions of end users (one app each, with a subject filter, like real ones) and a few of owners
    /// (an app without a subject filter, one in a thousand). The end users' carry issue 18's filters in the shares of
    /// <paramref name="mix"/> (<see cref="SubscriptionMix.Default"/> when null): type lists, trailing-wildcard prefixes and
    /// <c>filters</c>, stored as the API stores them. Nothing generated matches the seeded test resources.
    /// </summary>
    public static async Task<long> GenerateSubscriptionsAsync(NpgsqlDataSource dataSource, int count, int seed, CancellationToken cancellationToken, SubscriptionMix? mix = null)
    {
        mix = (mix ?? SubscriptionMix.Default).Validated();
        var random = new Random(seed);
        var stored = new Dictionary<(SubscriptionKind, int, int, int), (string[]?, string?)>();
        (string[]? Types, string? Filters) Stored(SubscriptionKind kind, int variant, int org, int app)
        {
            // Type filters do not depend on the app; filters name it. At most 10 000 apps x 6 variants go through the rules.
            var key = kind == SubscriptionKind.Filters ? (kind, variant, org, app) : (kind, variant, -1, -1);
            if (!stored.TryGetValue(key, out var value))
            {
                value = SubscriptionMix.Stored(kind, variant, FormattableString.Invariant($"org{org}"), FormattableString.Invariant($"app{app}"));
                stored[key] = value;
            }

            return value;
        }

        var created = DateTime.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY subscriptions (id, consumer, created_by, created, end_point, resource_filter, source_filter, subject_filter, type_filter, include_subunits, secret, validation_status, filters) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            for (var i = 0; i < count; i++)
            {
                var org = random.Next(Orgs);
                var app = random.Next(AppsPerOrg);
                var owner = i % 1000 == 0;
                var consumer = owner ? $"/org/org{org}" : string.Create(CultureInfo.InvariantCulture, $"/user/{random.Next(10_000_000)}");
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid, cancellationToken);
                await writer.WriteAsync(consumer, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(consumer, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(created, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync("https://hooks.example.com/" + i.ToString(CultureInfo.InvariantCulture), NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(AppResource(org, app), NpgsqlDbType.Text, cancellationToken);
                if (i % 4 == 0)
                {
                    await writer.WriteAsync(AppSource(org, app), NpgsqlDbType.Text, cancellationToken);
                }
                else
                {
                    await writer.WriteNullAsync(cancellationToken);
                }

                if (owner)
                {
                    await writer.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"/party/{FirstParty + random.Next(Parties)}"), NpgsqlDbType.Text, cancellationToken);
                }

                // Issue 18's filters on a share of the end users' subscriptions (owners' stay plain), as the API stores them.
                var (kind, variant) = mix.Pick(random);
                var (types, filters) = owner || kind == SubscriptionKind.Plain
                    ? (null, null)
                    : Stored(kind, variant, org, app);
                if (types is null)
                {
                    await writer.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await writer.WriteAsync(types, NpgsqlDbType.Array | NpgsqlDbType.Text, cancellationToken);
                }

                await writer.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
                await writer.WriteAsync("whsec_Z2VuZXJhdGVkLXN1YnNjcmlwdGlvbi1zZWNyZXQ=", NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync("validated", NpgsqlDbType.Text, cancellationToken);
                if (filters is null)
                {
                    await writer.WriteNullAsync(cancellationToken);
                }
                else
                {
                    await writer.WriteAsync(filters, NpgsqlDbType.Jsonb, cancellationToken);
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        // Vacuumed as well as analysed, as a store that has been running is: left to autovacuum, the bulk load's first
        // vacuum would run a minute later, beside whatever is measured then.
        await using var analyze = new NpgsqlCommand("VACUUM (ANALYZE) subscriptions", connection) { CommandTimeout = 0 };
        await analyze.ExecuteNonQueryAsync(cancellationToken);
        return count;
    }

    /// <summary>
    /// App events spread evenly over the last <paramref name="days"/> days (partitions are created as needed), about
    /// <paramref name="count"/> of them, each about 400 bytes of CloudEvent JSON.
    /// </summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="count">Events to make.</param>
    /// <param name="days">Days they spread over, up to now.</param>
    /// <param name="seed">The random seed.</param>
    /// <param name="accountantClients">Benchmark S9: this many client parties of the accountant (<see cref="AccountantGenerator"/>); 0: none.</param>
    /// <param name="accountantShare">The share of the events that are the bench app's, about one of those clients.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public static async Task<long> GenerateEventsAsync(NpgsqlDataSource dataSource, int count, int days, int seed, CancellationToken cancellationToken, int accountantClients = 0, double accountantShare = 0)
    {
        var random = new Random(seed);
        var now = DateTime.UtcNow;
        var start = now.AddDays(-days);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var partitions = new NpgsqlCommand("SELECT ensure_daily_partitions('events', @first::date, @days)", connection))
        {
            partitions.Parameters.AddWithValue("first", start.Date);
            partitions.Parameters.AddWithValue("days", days + 2);
            await partitions.ExecuteNonQueryAsync(cancellationToken);
        }

        var step = TimeSpan.FromTicks((now - start).Ticks / Math.Max(count, 1));

        // The events take a block of sequence numbers reserved up front, so their key rows (written beside them on a
        // second connection) carry the same numbers, as the writer's do.
        long firstSeq;
        await using (var reserve = new NpgsqlCommand("SELECT nextval('events_seq')", connection))
        {
            firstSeq = (long)(await reserve.ExecuteScalarAsync(cancellationToken))!;
        }

        if (count > 1)
        {
            await using var advance = new NpgsqlCommand("SELECT setval('events_seq', @last)", connection);
            advance.Parameters.AddWithValue("last", firstSeq + count - 1);
            await advance.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var keyConnection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY events (seq, registered, id, source, resource, type, subject, party_id, time, cloudevent) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        await using (var keys = await keyConnection.BeginBinaryImportAsync(
            "COPY event_keys (key, registered, id, seq, content) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var i = 0; i < count; i++)
            {
                var org = random.Next(Orgs);
                var app = random.Next(AppsPerOrg);
                var party = FirstParty + random.Next(Parties);
                var (resource, appSource, publisher) = (AppResource(org, app), AppSource(org, app), FormattableString.Invariant($"/app/org{org}/app{app}"));
                if (accountantClients > 0 && random.NextDouble() < accountantShare)
                {
                    party = AccountantGenerator.FirstClient + random.Next(accountantClients);
                    (resource, appSource, publisher) = (AccountantGenerator.Resource, $"https://{AccountantGenerator.Org}.apps.altinn.no/{AccountantGenerator.Org}/{AccountantGenerator.App}", $"/app/{AccountantGenerator.Org}/{AccountantGenerator.App}");
                }

                var seq = firstSeq + i;
                var registered = start + (step * i);
                var id = Guid.NewGuid().ToString();
                var source = string.Create(CultureInfo.InvariantCulture, $"{appSource}/instances/{party}/{Guid.NewGuid()}");
                var type = (i % 3) switch { 0 => "app.instance.created", 1 => "app.instance.process.movedTo.Task_1", _ => "app.instance.process.completed" };
                var subject = string.Create(CultureInfo.InvariantCulture, $"/party/{party}");
                var json = string.Create(CultureInfo.InvariantCulture,
                    $"{{\"specversion\":\"1.0\",\"id\":\"{id}\",\"source\":\"{source}\",\"type\":\"{type}\",\"subject\":\"{subject}\",\"time\":\"{registered:O}\",\"resource\":\"{resource}\",\"resourceinstance\":\"{party}/{Guid.NewGuid()}\",\"alternativesubject\":\"/person/01017012345\"}}");
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync(seq, NpgsqlDbType.Bigint, cancellationToken);
                await writer.WriteAsync(registered, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(source, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(resource, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(type, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(subject, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(party, NpgsqlDbType.Integer, cancellationToken);
                await writer.WriteAsync(registered, NpgsqlDbType.TimestampTz, cancellationToken);
                await writer.WriteAsync(json, NpgsqlDbType.Text, cancellationToken);

                // The key row the writer would have made: the current de-duplication key and content hash (so the
                // writer's probe for keys from before migration 0011 finds none, as in a store written since), and the
                // cursor lookup by id.
                using var document = JsonDocument.Parse(json);
                await keys.StartRowAsync(cancellationToken);
                await keys.WriteAsync(EventIdentity.Key(publisher, resource, source, id), NpgsqlDbType.Uuid, cancellationToken);
                await keys.WriteAsync(registered, NpgsqlDbType.TimestampTz, cancellationToken);
                await keys.WriteAsync(id, NpgsqlDbType.Text, cancellationToken);
                await keys.WriteAsync(seq, NpgsqlDbType.Bigint, cancellationToken);
                await keys.WriteAsync(EventIdentity.ContentHash(document.RootElement), NpgsqlDbType.Uuid, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
            await keys.CompleteAsync(cancellationToken);
        }

        // Vacuumed as well as analysed (see the subscriptions above): autovacuum visited the bench's 200 000 generated
        // events about 80 s after the load, in the middle of S4.
        await using var analyze = new NpgsqlCommand("VACUUM (ANALYZE) events, event_keys", connection);
        analyze.CommandTimeout = 0;
        await analyze.ExecuteNonQueryAsync(cancellationToken);
        return count;
    }
}
