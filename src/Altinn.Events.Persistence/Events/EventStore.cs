using System.Text.Json;
using Altinn.Events.Core.Events;
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

    // Two statements in one round trip. Sent without an explicit transaction (the group-commit writer), they form one
    // implicit transaction that PostgreSQL commits when it reaches the batch's Sync, so BEGIN, the statements and COMMIT
    // cost one round trip and the write lock is released by the server itself, not a round trip after the insert
    // returns. The first takes the write lock. The second runs with a snapshot taken after the lock was granted, so it
    // sees every key committed by the writers before it, and no writer commits keys while it holds the lock: what it
    // finds stored is everything stored.
    // It checks each event's key against the stored keys and the rest of the group: a key stored (or given earlier in
    // the group) with other content refuses the whole request that holds the event; a key stored with the same content is
    // a re-publish and stores nothing; so does a key row from before migration 0011 (md5 of source and id, no content)
    // for an event of the same resource. It stores the first event of each new key of the requests not refused, in the
    // order given: key rows (each takes the event's sequence number, so a cursor lookup by id is one probe of that table),
    // events and outbox rows. It returns the refused events, then how many were stored. (When two requests refused for
    // different keys meet a third over a key, the first one's content still decides: the third may be refused needlessly;
    // sending it again succeeds.)
    private const string LockSql = "SELECT pg_advisory_xact_lock($1)";

    private const string InsertSql = """
        WITH input AS (
            SELECT t.*
            FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
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
            SELECT f.key, $15, f.id, nextval('events_seq'), f.content FROM (SELECT * FROM first_of_key ORDER BY ordinal) f
            ON CONFLICT DO NOTHING
            RETURNING key, seq
        ), stored AS (
            INSERT INTO events (seq, registered, id, source, resource, type, subject, alternative_subject, party_id, time, cloudevent)
            SELECT n.seq, $15, f.id, f.source, f.resource, f.type, f.subject, f.alternative_subject, f.party_id, f.time, f.cloudevent
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
    public static Task<InsertResult> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<NewEvent> events, TimeProvider time, CancellationToken cancellationToken) =>
        InsertRequestsAsync(connection, transaction, [events], time, cancellationToken);

    /// <summary>
    /// Takes the write lock and stores the events of several requests, each all or none, in one round trip. Within the
    /// caller's <paramref name="transaction"/> the lock is released when that transaction ends; without one (null) the two
    /// statements are one implicit transaction, committed (and the lock released) before this returns. A request with an
    /// event whose key already names other content is refused and stores nothing; the others are stored. The registration
    /// time is read just before: one writer loop per process commits its groups one after the other, so within a process
    /// registration times ascend with seq, and readers allow <see cref="StorePosition.ClockMargin"/> for the clocks of
    /// different processes.
    /// </summary>
    public static async Task<InsertResult> InsertRequestsAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<IReadOnlyList<NewEvent>> requests, TimeProvider time, CancellationToken cancellationToken)
    {
        var registered = time.GetUtcNow();
        var count = 0;
        foreach (var request in requests)
        {
            count += request.Count;
        }

        var keys = new Guid[count];
        var contents = new Guid[count];
        var ids = new string[count];
        var sources = new string[count];
        var resources = new string[count];
        var types = new string[count];
        var subjects = new string?[count];
        var alternativeSubjects = new string?[count];
        var partyIds = new int?[count];
        var times = new DateTimeOffset?[count];
        var bodies = new string[count];
        var ordinals = new int[count];
        var requestIndexes = new int[count];
        var items = new int[count];
        var n = 0;
        for (var r = 0; r < requests.Count; r++)
        {
            var events = requests[r];
            for (var i = 0; i < events.Count; i++, n++)
            {
                var e = events[i];
                keys[n] = e.Key;
                contents[n] = e.ContentHash;
                ids[n] = e.Id;
                sources[n] = e.Source;
                resources[n] = e.Resource;
                types[n] = e.Type;
                subjects[n] = e.Subject;
                alternativeSubjects[n] = e.AlternativeSubject;
                partyIds[n] = e.PartyId;
                times[n] = e.Time;
                bodies[n] = e.CloudEvent;
                ordinals[n] = n;
                requestIndexes[n] = r;
                items[n] = i;
            }
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        var lockCommand = new NpgsqlBatchCommand(LockSql);
        lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = WriteLockKey });
        batch.BatchCommands.Add(lockCommand);
        var insert = new NpgsqlBatchCommand(InsertSql);
        insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = keys });
        insert.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = contents });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = sources });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = resources });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = types });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = subjects });
        insert.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = alternativeSubjects });
        insert.Parameters.Add(new NpgsqlParameter<int?[]> { TypedValue = partyIds });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset?[]> { TypedValue = times });
        insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = bodies });
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = ordinals });
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = requestIndexes });
        insert.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = items });
        insert.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = registered });
        batch.BatchCommands.Add(insert);

        var stored = 0;
        var conflicts = new List<KeyConflict>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // The lock's one row, then the insert's rows.
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var request = reader.GetInt32(0);
                if (request < 0)
                {
                    stored = reader.GetInt32(1);
                }
                else
                {
                    conflicts.Add(new KeyConflict(request, reader.GetInt32(1)));
                }
            }

            // Reads to the batch's end (ReadyForQuery): without an explicit transaction that is where the commit is
            // reported, so an error committing surfaces here rather than being dropped with the reader.
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        conflicts.Sort((a, b) => a.Request != b.Request ? a.Request.CompareTo(b.Request) : a.Index.CompareTo(b.Index));
        return new InsertResult(stored, conflicts);
    }
}
