using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>An event ready to store: the validated CloudEvent as JSON plus the columns queries and matching use.</summary>
public sealed record NewEvent(
    string Id,
    string Source,
    string Resource,
    string Type,
    string? Subject,
    string? AlternativeSubject,
    int? PartyId,
    DateTimeOffset? Time,
    string CloudEvent);

/// <summary>Writes events, their keys and outbox rows in one statement; the caller owns the transaction.</summary>
public static class EventStore
{
    /// <summary>
    /// Held from taking sequence numbers until commit, so events commit in sequence order and a cursor reader never
    /// skips an event that commits late with a lower number. With group commit one writer transaction carries many
    /// requests, so serialising commits costs little (see docs/architecture.md).
    /// </summary>
    public const long WriteLockKey = 0x416c746e45765772; // "AltnEvWr"

    // One statement, one round trip (BEGIN travels with it, COMMIT is the second): the write lock first (no input row
    // exists before it is held, so no sequence number is taken before it), then keys (ON CONFLICT DO NOTHING drops
    // re-publishes and repeats within the batch), the events whose key was new, and their outbox rows. Events keep the
    // order they were given in.
    private const string InsertSql = """
        WITH write_lock AS MATERIALIZED (
            SELECT pg_advisory_xact_lock(@lockKey) AS held
        ), input AS (
            SELECT t.*, md5(length(t.source) || ':' || t.source || t.id)::uuid AS key
            FROM write_lock, unnest(@ids, @sources, @resources, @types, @subjects, @alternativeSubjects, @partyIds, @times, @bodies, @ordinals)
                AS t(id, source, resource, type, subject, alternative_subject, party_id, time, cloudevent, ordinal)
        ), first_of_key AS (
            SELECT DISTINCT ON (key) * FROM input ORDER BY key, ordinal
        ), new_keys AS (
            -- The key row takes the event's sequence number, so a cursor lookup by id is one probe of this table.
            INSERT INTO event_keys (key, registered, id, seq)
            SELECT f.key, @registered, f.id, nextval('events_seq') FROM (SELECT * FROM first_of_key ORDER BY ordinal) f
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
        SELECT count(*)::int FROM stored
        """;

    /// <summary>
    /// Takes the write lock and stores the events, in one round trip; the lock is released when the caller's transaction
    /// ends. The registration time is read just before: one writer loop per process commits its groups one after the
    /// other, so within a process registration times ascend with seq, and readers allow minutes of margin for the clocks
    /// of different processes.
    /// </summary>
    /// <returns>How many of the events were new (the rest were already stored).</returns>
    public static async Task<int> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewEvent> events, TimeProvider time, CancellationToken cancellationToken)
    {
        var registered = time.GetUtcNow();
        var parameters = new
        {
            ids = events.Select(e => e.Id).ToArray(),
            sources = events.Select(e => e.Source).ToArray(),
            resources = events.Select(e => e.Resource).ToArray(),
            types = events.Select(e => e.Type).ToArray(),
            subjects = events.Select(e => e.Subject).ToArray(),
            alternativeSubjects = events.Select(e => e.AlternativeSubject).ToArray(),
            partyIds = events.Select(e => e.PartyId).ToArray(),
            times = events.Select(e => e.Time).ToArray(),
            bodies = events.Select(e => e.CloudEvent).ToArray(),
            ordinals = Enumerable.Range(0, events.Count).ToArray(),
            registered,
            lockKey = WriteLockKey,
        };
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(InsertSql, parameters, transaction, cancellationToken: cancellationToken));
    }
}
