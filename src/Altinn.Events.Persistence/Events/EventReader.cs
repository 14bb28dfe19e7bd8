using System.Text;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Events;

/// <summary>What a query asks for. <see cref="Resource"/> or <see cref="PartyId"/> scopes it; the rest narrow it.</summary>
public sealed record EventFilter
{
    /// <summary>Exact resource URN.</summary>
    public string? Resource { get; init; }

    /// <summary>Only app events (resources starting <c>urn:altinn:resource:app_</c>).</summary>
    public bool AppEventsOnly { get; init; }

    public int? PartyId { get; init; }

    public string? Subject { get; init; }

    public string? AlternativeSubject { get; init; }

    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>A SQL LIKE pattern on the source (<c>%</c> and <c>_</c> are wildcards; <c>\</c> escapes).</summary>
    public string? SourcePattern { get; init; }

    /// <summary>Registered at or after.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Registered at or before.</summary>
    public DateTimeOffset? To { get; init; }
}

/// <summary>A position in the store: an event's sequence number and registration time.</summary>
public sealed record EventCursor(long Seq, DateTimeOffset Registered);

/// <summary>A stored event as a query returns it.</summary>
public sealed record StoredEvent(long Seq, DateTime Registered, string Id, string Resource, int? PartyId, string CloudEvent)
{
    public EventCursor Cursor => new(Seq, new DateTimeOffset(DateTime.SpecifyKind(Registered, DateTimeKind.Utc)));
}

/// <summary>An event with the columns matching needs.</summary>
public sealed record EventForMatching(long Seq, DateTime Registered, string Id, string Source, string Resource, string Type, string? Subject, string? AlternativeSubject, int? PartyId)
{
    public DateTimeOffset RegisteredUtc => new(DateTime.SpecifyKind(Registered, DateTimeKind.Utc));
}

/// <summary>Reads pages of events in sequence order, each through an index range scan.</summary>
public sealed class EventReader(NpgsqlDataSource dataSource)
{
    // Registration times ascend with seq (both are taken under the write lock), but hosts' clocks may differ a little;
    // this margin keeps the partition pruning safe across instances.
    private static readonly TimeSpan ClockMargin = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The position of the event with id <paramref name="afterId"/> within the filter's scope (its resource or party), or null when no
    /// such event is stored (never was, or expired): the caller then starts from the oldest retained event.
    /// </summary>
    public async Task<EventCursor?> FindCursorAsync(string afterId, EventFilter scope, CancellationToken cancellationToken)
    {
        // One probe of event_keys by id, then the event itself by (seq, registered): a single partition.
        var scopeSql = new StringBuilder();
        if (scope.Resource is not null)
        {
            scopeSql.Append(" AND e.resource = @Resource");
        }

        if (scope.PartyId is not null)
        {
            scopeSql.Append(" AND e.party_id = @PartyId");
        }

        var byKey = $"""
            SELECT k.seq, k.registered FROM event_keys k
            WHERE k.id = @afterId
              AND EXISTS (SELECT 1 FROM events e WHERE e.seq = k.seq AND e.registered = k.registered{scopeSql})
            ORDER BY k.seq DESC LIMIT 1
            """;

        // Events stored before migration 0007 (or generated straight into the table) have no id in event_keys.
        var byEvents = $"SELECT e.seq, e.registered FROM events e WHERE e.id = @afterId{scopeSql} ORDER BY e.seq DESC LIMIT 1";

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = new { afterId, scope.Resource, scope.PartyId };
        var row = await connection.QueryFirstOrDefaultAsync<(long Seq, DateTime Registered)?>(new CommandDefinition(byKey, parameters, cancellationToken: cancellationToken))
            ?? await connection.QueryFirstOrDefaultAsync<(long Seq, DateTime Registered)?>(new CommandDefinition(byEvents, parameters, cancellationToken: cancellationToken));
        return row is { } r ? new EventCursor(r.Seq, new DateTimeOffset(DateTime.SpecifyKind(r.Registered, DateTimeKind.Utc))) : null;
    }

    /// <summary>
    /// The referenced events that still wait for matching (one query; the registration range prunes partitions). Events
    /// whose outbox row is gone were matched already (a copy of the message, or a resend after its lease) and events no
    /// longer stored (expired) are left out.
    /// </summary>
    /// <param name="references">The events of an inbound message.</param>
    /// <param name="includeMatched">Also events already matched (a retried message, see <c>DeliveryRecorder.RecordAsync</c>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<IReadOnlyList<EventForMatching>> LoadForMatchingAsync(IReadOnlyCollection<Core.Events.EventReference> references, bool includeMatched, CancellationToken cancellationToken)
    {
        if (references.Count == 0)
        {
            return [];
        }

        const string Sql = """
            SELECT e.seq, e.registered, e.id, e.source, e.resource, e.type, e.subject, e.alternative_subject AS AlternativeSubject, e.party_id AS PartyId
            FROM events e
            WHERE e.seq = ANY(@seqs) AND e.registered BETWEEN @from AND @to
              AND (@includeMatched OR EXISTS (SELECT 1 FROM outbox o WHERE o.seq = e.seq))
            ORDER BY e.seq
            """;
        var parameters = new
        {
            seqs = references.Select(r => r.Seq).ToArray(),
            from = references.Min(r => r.Registered).ToUniversalTime(),
            to = references.Max(r => r.Registered).ToUniversalTime(),
            includeMatched,
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<EventForMatching>(new CommandDefinition(Sql, parameters, cancellationToken: cancellationToken))];
    }

    /// <summary>Up to <paramref name="limit"/> events matching the filter with a sequence number above the cursor, ascending.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadPageAsync(EventFilter filter, EventCursor? after, int limit, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT seq, registered, id, resource, party_id AS PartyId, cloudevent AS CloudEvent FROM events WHERE true");
        if (filter.Resource is not null)
        {
            sql.Append(" AND resource = @Resource");
        }

        if (filter.AppEventsOnly)
        {
            sql.Append(@" AND resource LIKE 'urn:altinn:resource:app\_%'");
        }

        if (filter.PartyId is not null)
        {
            sql.Append(" AND party_id = @PartyId");
        }

        if (filter.Subject is not null)
        {
            sql.Append(" AND subject = @Subject");
        }

        if (filter.AlternativeSubject is not null)
        {
            sql.Append(" AND alternative_subject = @AlternativeSubject");
        }

        if (filter.Types.Count > 0)
        {
            sql.Append(" AND type = ANY(@Types)");
        }

        if (filter.SourcePattern is not null)
        {
            sql.Append(" AND source LIKE @SourcePattern");
        }

        if (filter.From is not null)
        {
            sql.Append(" AND registered >= @From");
        }

        if (filter.To is not null)
        {
            sql.Append(" AND registered <= @To");
        }

        if (after is not null)
        {
            // The registration bound lets PostgreSQL skip the partitions before the cursor.
            sql.Append(" AND seq > @AfterSeq AND registered >= @AfterRegistered");
        }

        sql.Append(" ORDER BY seq LIMIT @Limit");
        var parameters = new
        {
            filter.Resource,
            filter.PartyId,
            filter.Subject,
            filter.AlternativeSubject,
            Types = filter.Types.ToArray(),
            filter.SourcePattern,
            filter.From,
            filter.To,
            AfterSeq = after?.Seq ?? 0,
            AfterRegistered = after is null ? DateTimeOffset.MinValue : after.Registered - ClockMargin,
            Limit = limit,
        };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<StoredEvent>(new CommandDefinition(sql.ToString(), parameters, cancellationToken: cancellationToken))];
    }
}
