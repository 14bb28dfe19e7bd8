using System.Text.Json;
using Altinn.Events.Core.Events;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>
/// An event ready to store: the validated CloudEvent as JSON plus the columns queries and matching use. Publisher is the
/// consumer string of whoever published it, part of its de-duplication key (see <see cref="EventIdentity"/>); Content the
/// hash of the event as its publisher sent it (<see cref="EventIdentity.ContentHash"/>), when null that of the stored JSON.
/// </summary>
public sealed record NewEvent(
    string Id,
    string Source,
    string Resource,
    string Type,
    string? Subject,
    string? AlternativeSubject,
    int? PartyId,
    DateTimeOffset? Time,
    string CloudEvent,
    string Publisher = "",
    Guid? Content = null)
{
    /// <summary>The de-duplication key: publisher, resource, source and id.</summary>
    public Guid Key => EventIdentity.Key(Publisher, Resource, Source, Id);

    public Guid ContentHash => Content ?? HashOf(CloudEvent);

    private static Guid HashOf(string json)
    {
        using var document = JsonDocument.Parse(json);
        return EventIdentity.ContentHash(document.RootElement);
    }
}

/// <summary>An event of a request that was not stored because its key already names other content.</summary>
/// <param name="Request">Which of the requests given to <see cref="EventStore.InsertRequestsAsync"/>.</param>
/// <param name="Index">The event's index within that request.</param>
public readonly record struct KeyConflict(int Request, int Index);

/// <summary>What a write did: how many events were new, and the requests refused (none of whose events were stored).</summary>
public sealed record InsertResult(int Stored, IReadOnlyList<KeyConflict> Conflicts);

/// <summary>Writes events, their keys and outbox rows; the caller owns the transaction.</summary>
public static class EventStore
{
    /// <summary>
    /// Held from taking sequence numbers until commit, so events commit in sequence order and a cursor reader never
    /// skips an event that commits late with a lower number. With group commit one writer transaction carries many
    /// requests, so serialising commits costs little (see docs/architecture.md).
    /// </summary>
    public const long WriteLockKey = 0x416c746e45765772; // "AltnEvWr"

    // Two statements in one round trip (BEGIN travels with them, COMMIT is the second round trip). The first takes the
    // write lock. The second runs with a snapshot taken after the lock was granted, so it sees every key committed by the
    // writers before it, and no writer commits keys while it holds the lock: what it finds stored is everything stored.
    // It checks each event's key against the stored keys and the rest of the group: a key stored (or given earlier in
    // the group) with other content refuses the whole request that holds the event; a key stored with the same content is
    // a re-publish and stores nothing; so does a key row from before migration 0011 (md5 of source and id, no content)
    // for an event of the same resource. It stores the first event of each new key of the requests not refused, in the
    // order given: key rows (each takes the event's sequence number, so a cursor lookup by id is one probe of that table),
    // events and outbox rows. It returns the refused events, then how many were stored. (When two requests refused for
    // different keys meet a third over a key, the first one's content still decides: the third may be refused needlessly;
    // sending it again succeeds.)
    private const string InsertSql = """
        SELECT pg_advisory_xact_lock(@lockKey);
        WITH input AS (
            SELECT t.*
            FROM unnest(@keys, @contents, @ids, @sources, @resources, @types, @subjects, @alternativeSubjects, @partyIds, @times, @bodies, @ordinals, @requests, @items)
                AS t(key, content, id, source, resource, type, subject, alternative_subject, party_id, time, cloudevent, ordinal, request, item)
        ), checked AS (
            SELECT i.*,
                   k.key IS NOT NULL AS stored_before,
                   k.content AS stored_content,
                   first_value(i.content) OVER (PARTITION BY i.key ORDER BY i.ordinal) AS first_content,
                   k.key IS NULL AND EXISTS (
                       SELECT 1 FROM event_keys l
                       WHERE l.key = md5(length(i.source) || ':' || i.source || i.id)::uuid AND l.content IS NULL
                         AND (l.seq IS NULL OR EXISTS (
                             SELECT 1 FROM events e WHERE e.seq = l.seq AND e.registered = l.registered AND e.resource = i.resource))
                   ) AS legacy_duplicate
            FROM input i LEFT JOIN event_keys k ON k.key = i.key
        ), conflicts AS (
            SELECT request, item FROM checked
            WHERE (stored_before AND stored_content IS DISTINCT FROM content)
               OR (NOT stored_before AND NOT legacy_duplicate AND content <> first_content)
        ), first_of_key AS (
            SELECT DISTINCT ON (key) * FROM checked
            WHERE NOT stored_before AND NOT legacy_duplicate AND request NOT IN (SELECT request FROM conflicts)
            ORDER BY key, ordinal
        ), new_keys AS (
            INSERT INTO event_keys (key, registered, id, seq, content)
            SELECT f.key, @registered, f.id, nextval('events_seq'), f.content FROM (SELECT * FROM first_of_key ORDER BY ordinal) f
            ON CONFLICT DO NOTHING
            RETURNING key, seq
        ), stored AS (
            INSERT INTO events (seq, registered, id, source, resource, type, subject, alternative_subject, party_id, time, cloudevent)
            SELECT n.seq, @registered, f.id, f.source, f.resource, f.type, f.subject, f.alternative_subject, f.party_id, f.time, f.cloudevent
            FROM first_of_key f JOIN new_keys n ON n.key = f.key
            ORDER BY n.seq
            RETURNING seq, registered
        ), queued AS (
            INSERT INTO outbox (seq, registered, due) SELECT seq, registered, registered FROM stored
        )
        SELECT request, item FROM conflicts
        UNION ALL
        SELECT -1, count(*)::int FROM stored
        """;

    /// <summary>Stores the events of one request (see the overload for several).</summary>
    /// <returns>How many of the events were new, and those refused (then none was stored).</returns>
    public static Task<InsertResult> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewEvent> events, TimeProvider time, CancellationToken cancellationToken) =>
        InsertRequestsAsync(connection, transaction, [events], time, cancellationToken);

    /// <summary>
    /// Takes the write lock and stores the events of several requests, each all or none, in one round trip; the lock is
    /// released when the caller's transaction ends. A request with an event whose key already names other content is
    /// refused and stores nothing; the others are stored. The registration time is read just before: one writer loop per
    /// process commits its groups one after the other, so within a process registration times ascend with seq, and
    /// readers allow <see cref="StorePosition.ClockMargin"/> for the clocks of different processes.
    /// </summary>
    public static async Task<InsertResult> InsertRequestsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<IReadOnlyList<NewEvent>> requests, TimeProvider time, CancellationToken cancellationToken)
    {
        var registered = time.GetUtcNow();
        var events = requests.SelectMany((r, request) => r.Select((e, index) => (Event: e, Request: request, Index: index))).ToArray();
        var parameters = new
        {
            keys = events.Select(e => e.Event.Key).ToArray(),
            contents = events.Select(e => e.Event.ContentHash).ToArray(),
            ids = events.Select(e => e.Event.Id).ToArray(),
            sources = events.Select(e => e.Event.Source).ToArray(),
            resources = events.Select(e => e.Event.Resource).ToArray(),
            types = events.Select(e => e.Event.Type).ToArray(),
            subjects = events.Select(e => e.Event.Subject).ToArray(),
            alternativeSubjects = events.Select(e => e.Event.AlternativeSubject).ToArray(),
            partyIds = events.Select(e => e.Event.PartyId).ToArray(),
            times = events.Select(e => e.Event.Time).ToArray(),
            bodies = events.Select(e => e.Event.CloudEvent).ToArray(),
            ordinals = Enumerable.Range(0, events.Length).ToArray(),
            requests = events.Select(e => e.Request).ToArray(),
            items = events.Select(e => e.Index).ToArray(),
            registered,
            lockKey = WriteLockKey,
        };
        using var results = await connection.QueryMultipleAsync(new CommandDefinition(InsertSql, parameters, transaction, cancellationToken: cancellationToken));
        await results.ReadAsync();
        var rows = (await results.ReadAsync<(int Request, int Index)>()).ToList();
        return new InsertResult(
            rows.Single(r => r.Request < 0).Index,
            [.. rows.Where(r => r.Request >= 0).Select(r => new KeyConflict(r.Request, r.Index)).OrderBy(c => c.Request).ThenBy(c => c.Index)]);
    }
}
