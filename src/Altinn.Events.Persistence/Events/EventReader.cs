using System.Globalization;
using System.Text;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
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

    /// <summary>
    /// The party is one of these (a query without a party: every party the caller holds rights for). Up to
    /// <see cref="EventReader.MaxPartyProbes"/> parties are scanned by their index, merged; more by the store's sequence.
    /// </summary>
    public IReadOnlyList<int>? PartyIn { get; init; }

    /// <summary>
    /// The party is one this consumer holds a role for in the local register (a query without a party from a caller with
    /// more than <see cref="EventReader.MaxPartyProbes"/> parties): the scan reads the consumer's rows of the holder index
    /// (migration 0016) up to the indexer's cursor and the store past it, and keeps the rows of parties it holds a role
    /// for now.
    /// </summary>
    public string? Holder { get; init; }

    public string? Subject { get; init; }

    public string? AlternativeSubject { get; init; }

    /// <summary>The subject is one of these (redelivery: a subject filter and its subunits).</summary>
    public IReadOnlyList<string>? SubjectIn { get; init; }

    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>A SQL LIKE pattern on the source (<c>%</c> and <c>_</c> are wildcards; <c>\</c> escapes).</summary>
    public string? SourcePattern { get; init; }

    /// <summary>Registered at or after.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Registered at or before.</summary>
    public DateTimeOffset? To { get; init; }
}

/// <summary>
/// An event as a scan finds it: what filtering and authorization need, without the payload (a page reads the payloads
/// of the events it returns only, see <see cref="EventReader.LoadPayloadsAsync(IReadOnlyList{ScannedEvent}, CancellationToken)"/>).
/// </summary>
public sealed record ScannedEvent(long Seq, DateTimeOffset Registered, string Id, string Resource, string Source, string Type, string? Subject, int? PartyId)
{
    /// <summary>The position right after this event.</summary>
    public StorePosition Position => StorePosition.After(Seq, Registered);
}

/// <summary>Decides which of a chunk of scanned events to keep (filters and authorization), in their order.</summary>
public delegate Task<IReadOnlyList<ScannedEvent>> ScanFilter(IReadOnlyList<ScannedEvent> chunk, CancellationToken cancellationToken);

/// <summary>A page of a bounded scan: the events kept, and what the scan saw (for <see cref="PageCursor"/>).</summary>
/// <param name="Kept">The events kept, ascending by sequence.</param>
/// <param name="Scan">What the scan saw.</param>
/// <param name="Payloads">
/// The stored CloudEvents the scan read with its rows, by sequence number: those of the first chunk when the scan was asked
/// for them (<see cref="EventReader.ScanAsync"/>), so a page that fills from its first chunk needs no second read; empty
/// otherwise. Kept events from later chunks are not in it.
/// </param>
public sealed record ScannedPage(IReadOnlyList<ScannedEvent> Kept, PageScan Scan, IReadOnlyDictionary<long, string> Payloads);

/// <summary>An event with the columns matching needs.</summary>
public sealed record EventForMatching(long Seq, DateTime Registered, string Id, string Source, string Resource, string Type, string? Subject, string? AlternativeSubject, int? PartyId)
{
    public DateTimeOffset RegisteredUtc => new(DateTime.SpecifyKind(Registered, DateTimeKind.Utc));
}

/// <summary>
/// Reads events in sequence order. A page is a bounded scan: an index range scan on one column (the query's resource,
/// subject, alternative subject or party) from a position, at most a budget of rows, up to the newest event committed
/// when it starts; the query's other filters apply to the rows scanned (they count, matched or not), so no filter makes a
/// scan read more than its budget.
/// </summary>
public sealed class EventReader(NpgsqlDataSource dataSource)
{
    /// <summary>Most events an ambiguous <c>after</c> id is looked up among (the earliest first).</summary>
    public const int MaxAfterCandidates = 100;

    /// <summary>
    /// Most parties of <see cref="EventFilter.PartyIn"/> scanned each by its index (a probe each per chunk); with more, the
    /// scan walks the resource's index when the filter names one (<c>GET /events</c>), else the store's sequence, and the
    /// party is a filter (a professional with thousands of clients: their events are a good share of all), within the
    /// same budget.
    /// </summary>
    public const int MaxPartyProbes = 64;

    /// <summary>Largest first chunk of a scan that reads its rows' payloads with it (<see cref="ScanAsync"/>).</summary>
    public const int MaxPayloadChunk = 100;

    private const string OldestSql = "SELECT seq, registered FROM events ORDER BY seq LIMIT 1";

    private const string SeqBeforeSql = "SELECT events_seq_before(@t, @prune)";

    private const string PayloadsSql = """
        SELECT seq, cloudevent FROM events
        WHERE registered BETWEEN @min AND @max AND seq = ANY(@seqs)
        """;

    // One probe of event_keys by id per candidate, then the event itself by (seq, registered): a single partition each.
    private const string CandidatesByKeySql = """
        SELECT e.seq, e.registered, e.id, e.resource, e.source, e.type, e.subject, e.party_id AS PartyId
        FROM event_keys k JOIN events e ON e.seq = k.seq AND e.registered = k.registered
        WHERE k.id = @id{0}
        ORDER BY k.seq LIMIT @candidateLimit
        """;

    // Events stored before migration 0007 (or generated straight into the table) have no id in event_keys.
    private const string CandidatesByEventsSql = """
        SELECT e.seq, e.registered, e.id, e.resource, e.source, e.type, e.subject, e.party_id AS PartyId
        FROM events e
        WHERE e.id = @id{0}
        ORDER BY e.seq LIMIT @candidateLimit
        """;

    // The newest event at the start of the scan (in the same snapshot as the rows: every event up to it has committed,
    // since events commit in sequence order), and up to @limit rows of the scan column {0} after the position. Every row
    // comes back with the head and how many rows were scanned; the filters ({1}) choose which rows come back at all.
    // The position is @afterSeq with floor @floor.
    // {2}: ", s.cloudevent AS CloudEvent" where the rows ({0}) carry their payloads, or nothing.
    private const string ScanSql = """
        WITH head AS MATERIALIZED (
            SELECT seq, registered FROM events WHERE registered >= @floor ORDER BY seq DESC LIMIT 1
        ), scanned AS MATERIALIZED (
            {0}
        )
        SELECT h.seq AS HeadSeq, h.registered AS HeadRegistered,
               (SELECT count(*) FROM scanned)::int AS Examined, (SELECT max(seq) FROM scanned) AS LastExamined,
               s.seq AS Seq, s.registered AS Registered, s.id AS Id, s.resource AS Resource, s.source AS Source, s.type AS Type,
               s.subject AS Subject, s.party_id AS PartyId{2}
        FROM (SELECT 1) one
        LEFT JOIN head h ON true
        LEFT JOIN (SELECT * FROM scanned WHERE true{1}) s ON true
        ORDER BY s.seq
        """;

    // A walk of the store's sequence with filters that keep few of its rows (a caller with many parties, see
    // MaxPartyProbes): up to @limit rows after the position (the rest of the budget), but it stops at the @matches-th row
    // the filters ({1}) keep, so a page whose events are a small share of the store takes one statement, not one per
    // doubling chunk of rows (each planned afresh over every day partition). The walk keeps the merge of the partitions'
    // primary keys under a limit (it reads only the rows it returns); the walked rows are numbered in sequence order and
    // kept's LIMIT reads them in that order (a materialized CTE is read in the order its plan produced the rows), so the
    // walk stops where the last kept row lies. Examined and LastExamined are the rows walked up to that row, or all of
    // them (up to @limit, or fewer at the end of the store) when fewer rows were kept.
    private const string FilteredScanSql = """
        WITH head AS MATERIALIZED (
            SELECT seq, registered FROM events WHERE registered >= @floor ORDER BY seq DESC LIMIT 1
        ), scanned AS MATERIALIZED (
            SELECT w.*, row_number() OVER (ORDER BY w.seq) AS n FROM ({0}) w
        ), kept AS MATERIALIZED (
            SELECT * FROM scanned WHERE true{1} LIMIT @matches
        ), tally AS MATERIALIZED (
            SELECT CASE WHEN (SELECT count(*) FROM kept) < @matches THEN (SELECT count(*) FROM scanned) ELSE (SELECT max(n) FROM kept) END AS examined,
                   CASE WHEN (SELECT count(*) FROM kept) < @matches THEN (SELECT max(seq) FROM scanned) ELSE (SELECT max(seq) FROM kept) END AS last
        )
        SELECT h.seq AS HeadSeq, h.registered AS HeadRegistered, t.examined::int AS Examined, t.last AS LastExamined,
               s.seq AS Seq, s.registered AS Registered, s.id AS Id, s.resource AS Resource, s.source AS Source, s.type AS Type,
               s.subject AS Subject, s.party_id AS PartyId
        FROM (SELECT 1) one
        CROSS JOIN tally t
        LEFT JOIN head h ON true
        LEFT JOIN kept s ON true
        ORDER BY s.seq
        """;

    // The rows a scan walks ({0}: "{column} = @key AND ", or nothing to walk the store's sequence), from the position {1}
    // with floor {2}. No row of the statement's snapshot lies beyond the head (the same snapshot and floor), so the head
    // is not a bound here: bounded by a subquery, the planner guessed a few rows and read every partition's rows after
    // the position to sort them (the whole store's tail on a walk of its sequence), where a merge of the partitions'
    // indexes reads only the rows it returns.
    // {3}: ", cloudevent" for a chunk read with its payloads, or nothing.
    private const string ScannedSql = """
        SELECT seq, registered, id, resource, source, type, subject, alternative_subject, party_id{3}
        FROM events
        WHERE {0}seq > {1} AND seq <= @upper AND registered >= {2}
        ORDER BY seq LIMIT @limit
        """;

    // The rows of a holder's parties (@key): its rows of the holder index up to the indexer's cursor (the chunk's limit
    // taken from the index's primary key before the join, whatever the planner thinks of the table's size: joined first,
    // it sorted all of the accountant's 32 000 rows for a page of 50), each joined to its event (one partition by the
    // registration time), then the store's sequence past the cursor (the events not indexed yet: few, unless the indexer
    // lags), in one statement and so one snapshot. The walk past the cursor is bounded below by the cursor's registration
    // time less the clock margin, as every position is, so the executor skips the day partitions before it. The index
    // rows and the cursor commit together, and a grant back-fills up to the cursor with its role, so nothing the filters
    // keep is missed; the filters keep the rows of parties the holder holds a role for now (a withdrawn role leaves its
    // index rows behind). The join repeats the floor, which its rows meet already: the join's partitions are pruned per
    // row by the row's registration time, which only skips running the others, while a bound from the statement's
    // parameters leaves the days before the floor out before the executor sets them up (all of them otherwise: 37 index
    // scans set up for one that runs, on 30 days of events; about 97 with the default retention).
    private const string ScannedHolderSql = """
        SELECT u.* FROM (
            (SELECT e.seq, e.registered, e.id, e.resource, e.source, e.type, e.subject, e.alternative_subject, e.party_id{4}
             FROM (SELECT seq, registered FROM holder_events
                   WHERE holder = @key AND seq > {1} AND seq <= @upper AND registered >= {2}
                     AND seq <= (SELECT seq FROM holder_index_cursor WHERE name = 'holders')
                   ORDER BY seq LIMIT @limit) h
             JOIN events e ON e.seq = h.seq AND e.registered = h.registered AND e.registered >= {2})
            UNION ALL
            (SELECT seq, registered, id, resource, source, type, subject, alternative_subject, party_id{3}
             FROM events
             WHERE seq > GREATEST({1}, (SELECT seq FROM holder_index_cursor WHERE name = 'holders')) AND seq <= @upper AND registered >= {2}
               AND registered >= (SELECT registered - make_interval(secs => {5}) FROM holder_index_cursor WHERE name = 'holders')
             ORDER BY seq LIMIT @limit)) u
        ORDER BY u.seq LIMIT @limit
        """;

    // The rows of several parties (@key), each walked by its index from the position and merged in sequence order.
    private const string ScannedPartiesSql = """
        SELECT u.* FROM unnest(@key::integer[]) AS p(pid) CROSS JOIN LATERAL (
            SELECT seq, registered, id, resource, source, type, subject, alternative_subject, party_id{3}
            FROM events
            WHERE party_id = p.pid AND seq > {1} AND seq <= @upper AND registered >= {2}
            ORDER BY seq LIMIT @limit) u
        ORDER BY u.seq LIMIT @limit
        """;

    /// <summary>
    /// Up to <paramref name="limit"/> events with id <paramref name="id"/> within the scope (its resource or party), the
    /// earliest first. Ids repeat (they are unique only per publisher, resource and source), so a cursor given as an id
    /// must start from the earliest of them the caller may see: events may then repeat, but none is skipped.
    /// </summary>
    public async Task<IReadOnlyList<ScannedEvent>> FindByIdAsync(string id, EventFilter scope, int limit, CancellationToken cancellationToken)
    {
        var scopeSql = ScopeSql(scope);
        var parameters = new { id, scopeResource = scope.Resource, scopePartyId = scope.PartyId, scopePartyIds = scope.PartyIn?.ToArray(), scopeHolder = scope.Holder, candidateLimit = limit };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<EventRow>(new CommandDefinition(
            string.Format(CultureInfo.InvariantCulture, CandidatesByKeySql, scopeSql), parameters, cancellationToken: cancellationToken))).ToList();
        if (rows.Count == 0)
        {
            rows = [.. await connection.QueryAsync<EventRow>(new CommandDefinition(
                string.Format(CultureInfo.InvariantCulture, CandidatesByEventsSql, scopeSql), parameters, cancellationToken: cancellationToken))];
        }

        return [.. rows.Select(r => r.ToScanned())];
    }

    /// <summary>
    /// <see cref="FindByIdAsync"/> (by the id index of event_keys) and a bounded scan from the earliest of those events: most
    /// often the earliest event with the id is the one to start after. <paramref name="keep"/> is given the candidates, to
    /// decide them with the first chunk. No candidates: nothing is scanned (the page is null). Two statements on one
    /// connection: the scan's position as parameters lets the planner see how many rows lie after it (from a subquery it
    /// guessed a few and sorted every partition's tail).
    /// </summary>
    public async Task<(IReadOnlyList<ScannedEvent> Candidates, ScannedPage? Page)> ScanAfterIdAsync(
        string id, EventFilter scope, EventFilter filter, long upper, int budget, int want, Func<IReadOnlyList<ScannedEvent>, ScanFilter> keep, bool withPayloads, CancellationToken cancellationToken)
    {
        var parameters = new { id, scopeResource = scope.Resource, scopePartyId = scope.PartyId, scopePartyIds = scope.PartyIn?.ToArray(), scopeHolder = scope.Holder, candidateLimit = MaxAfterCandidates };
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        List<ScannedEvent> candidates = [.. (await connection.QueryAsync<EventRow>(new CommandDefinition(
            string.Format(CultureInfo.InvariantCulture, CandidatesByKeySql, ScopeSql(scope)), parameters, cancellationToken: cancellationToken))).Select(r => r.ToScanned())];
        if (candidates.Count == 0)
        {
            return (candidates, null);
        }

        var page = await ScanLoopAsync(connection, filter, candidates[0].Position, upper, budget, want, keep(candidates), withPayloads, cancellationToken);
        return (candidates, page);
    }

    /// <summary>The position before the oldest retained event (<see cref="StorePosition.Start"/> when none is stored).</summary>
    public async Task<StorePosition> OldestAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(long Seq, DateTime Registered)?>(new CommandDefinition(OldestSql, cancellationToken: cancellationToken));
        return row is { } r ? StorePosition.After(r.Seq - 1, Utc(r.Registered)) : StorePosition.Start;
    }

    /// <summary>
    /// A position every event registered at or after <paramref name="time"/> lies after: the sequence number is found by a
    /// binary search over the store (the same for every caller), not by looking for the events of any query.
    /// </summary>
    public async Task<StorePosition> PositionFromAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        var margin = StorePosition.ClockMargin;
        var seq = await SeqBeforeAsync(StorePosition.Earlier(time, margin), cancellationToken);
        return new StorePosition(seq, StorePosition.Earlier(time, margin + margin));
    }

    /// <summary>A sequence number every event registered at or before <paramref name="time"/> lies at or below.</summary>
    public Task<long> SeqThroughAsync(DateTimeOffset time, CancellationToken cancellationToken) =>
        SeqBeforeAsync(time >= DateTimeOffset.MaxValue - StorePosition.ClockMargin ? DateTimeOffset.MaxValue : time + StorePosition.ClockMargin + TimeSpan.FromTicks(10), cancellationToken);

    /// <summary>
    /// A bounded scan from <paramref name="start"/>: reads the filter's rows in chunks (the first <paramref name="want"/>, then each twice the one before;
    /// a walk of the store's sequence counts a chunk in rows its filters keep, walking up to the rest of the budget for it),
    /// hands each chunk to <paramref name="keep"/>, and stops once <paramref name="want"/> events are kept, the rows run out
    /// before the end of the store (the newest event at the first chunk, or <paramref name="upper"/> when lower), or
    /// <paramref name="budget"/> rows were scanned. With <paramref name="withPayloads"/> the first chunk reads its rows'
    /// stored CloudEvents too (<see cref="ScannedPage.Payloads"/>), unless it is a walk of the store's sequence or longer
    /// than <see cref="MaxPayloadChunk"/>.
    /// </summary>
    public async Task<ScannedPage> ScanAsync(EventFilter filter, StorePosition start, long upper, int budget, int want, ScanFilter keep, bool withPayloads, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await ScanLoopAsync(connection, filter, start, upper, budget, want, keep, withPayloads, cancellationToken);
    }

    private async Task<ScannedPage> ScanLoopAsync(
        NpgsqlConnection connection, EventFilter filter, StorePosition start, long upper, int budget, int want, ScanFilter keep, bool withPayloads, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(budget, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(want, 1);
        var (column, key) = ScanColumn(filter);

        // A walk of the store's sequence counts its chunks in rows kept by the filters, each up to the rest of the budget.
        var filtered = column == SequenceColumn;
        var filters = Filters(filter, column);
        var sql = filtered
            ? string.Format(CultureInfo.InvariantCulture, FilteredScanSql, Scanned(column, "@afterSeq", "@floor"), filters)
            : string.Format(CultureInfo.InvariantCulture, ScanSql, Scanned(column, "@afterSeq", "@floor"), filters, string.Empty);

        // The first chunk is what a page with nothing hidden needs, so it brings its rows' payloads along (one round trip
        // less for most pages); later chunks read only small columns. Not on a walk of the store's sequence (its rows are a
        // small share of what it walks), nor for a chunk above MaxPayloadChunk rows: payloads of rows the caller may not
        // see are read in vain, at most that many per page.
        var chunk = FirstChunk(budget, want);
        var firstSql = withPayloads && !filtered && chunk <= MaxPayloadChunk
            ? string.Format(CultureInfo.InvariantCulture, ScanSql, Scanned(column, "@afterSeq", "@floor", payloads: true), filters, ", s.cloudevent AS CloudEvent")
            : sql;
        var payloads = new Dictionary<long, string>();
        var kept = new List<ScannedEvent>(want);
        var position = start.Seq;
        var examined = 0;
        StorePosition? end = null;
        var exhausted = false;
        while (true)
        {
            var limit = filtered ? budget - examined : Math.Min(chunk, budget - examined);
            var rows = (await connection.QueryAsync<ScanRow>(new CommandDefinition(
                end is null ? firstSql : sql, ScanParameters(filter, key, position, end?.Seq ?? upper, start.Floor, limit, chunk), cancellationToken: cancellationToken))).ToList();
            var summary = rows[0];

            // The end of this page is fixed by its first chunk: later chunks read no further, so the page is one snapshot's.
            end ??= summary.HeadSeq is { } headSeq && headSeq > start.Seq
                ? (headSeq <= upper ? StorePosition.After(headSeq, Utc(summary.HeadRegistered!.Value)) : new StorePosition(Math.Max(upper, start.Seq), start.Floor))
                : start;
            examined += summary.Examined;
            var chunkEvents = rows.Where(r => r.Seq is not null).Select(r => r.ToScanned()).ToList();
            if (chunkEvents.Count > 0)
            {
                var chosen = await keep(chunkEvents, cancellationToken);
                kept.AddRange(chosen.Take(want - kept.Count));
            }

            foreach (var row in rows)
            {
                if (row is { Seq: { } seq, CloudEvent: { } cloudEvent })
                {
                    payloads[seq] = cloudEvent;
                }
            }

            if (kept.Count >= want)
            {
                break;
            }

            // Fewer rows than asked for: the rows ran out (a filtered walk also kept fewer than it stops at).
            if (summary.Examined < limit && !(filtered && chunkEvents.Count >= chunk))
            {
                exhausted = true;
                break;
            }

            if (examined >= budget)
            {
                break;
            }

            position = summary.LastExamined!.Value;
            chunk *= 2;
        }

        var full = kept.Count >= want;
        var keptPayloads = payloads.Count == 0 ? payloads : kept.Where(e => payloads.ContainsKey(e.Seq)).ToDictionary(e => e.Seq, e => payloads[e.Seq]);
        return new ScannedPage(kept, new PageScan(start, end.Value, examined, exhausted && !full, kept.Count > 0 ? kept[^1].Position : null, full), keptPayloads);
    }

    // The first chunk is what a page with nothing hidden needs (every row it reads is decided, so reading more than that
    // costs decisions); chunks after it double, so a page through many hidden rows takes few round trips.
    private static int FirstChunk(int budget, int want) => Math.Min(budget, Math.Max(want, 16));

    private static object ScanParameters(EventFilter filter, object key, long afterSeq, long upper, DateTimeOffset floor, int limit, int matches) => new
    {
        key,
        afterSeq,
        upper,
        floor,
        limit,
        matches,
        filter.Resource,
        filter.PartyId,
        PartyIn = filter.PartyIn?.ToArray(),
        filter.Holder,
        filter.Subject,
        filter.AlternativeSubject,
        SubjectIn = filter.SubjectIn?.ToArray(),
        Types = filter.Types.ToArray(),
        filter.SourcePattern,
        AppResourceLike = AppResources.SqlLike,
        AppResourceNotLike = AppResources.SqlNotLike,
        filter.From,
        filter.To,
    };

    private static string ScopeSql(EventFilter scope)
    {
        var sql = new StringBuilder();
        if (scope.Resource is not null)
        {
            sql.Append(" AND e.resource = @scopeResource");
        }

        if (scope.PartyId is not null)
        {
            sql.Append(" AND e.party_id = @scopePartyId");
        }

        if (scope.PartyIn is not null)
        {
            sql.Append(" AND e.party_id = ANY(@scopePartyIds)");
        }

        if (scope.Holder is not null)
        {
            sql.Append(" AND ").Append(HoldsRoleSql("@scopeHolder", "e.party_id"));
        }

        return sql.ToString();
    }

    /// <summary>The stored CloudEvents of events being matched, by sequence number (one query).</summary>
    public Task<IReadOnlyDictionary<long, string>> LoadPayloadsAsync(IReadOnlyList<EventForMatching> events, CancellationToken cancellationToken) =>
        LoadPayloadsAsync([.. events.Select(e => new ScannedEvent(e.Seq, e.RegisteredUtc, e.Id, e.Resource, e.Source, e.Type, e.Subject, e.PartyId))], cancellationToken);

    /// <summary>The stored CloudEvents of <paramref name="events"/>, by sequence number (one query; the registration range prunes partitions).</summary>
    public async Task<IReadOnlyDictionary<long, string>> LoadPayloadsAsync(IReadOnlyList<ScannedEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return new Dictionary<long, string>();
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Seq, string CloudEvent)>(new CommandDefinition(
            PayloadsSql,
            new { min = events.Min(e => e.Registered), max = events.Max(e => e.Registered), seqs = events.Select(e => e.Seq).ToArray() },
            cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Seq, r => r.CloudEvent);
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

    // The rows of the scan: one indexed column from the position, several parties merged, or the store's sequence.
    private static string Scanned(string column, string position, string floor, bool payloads = false)
    {
        var payload = payloads ? ", cloudevent" : string.Empty;
        return column switch
        {
            HolderColumn => string.Format(CultureInfo.InvariantCulture, ScannedHolderSql, string.Empty, position, floor, payload, payloads ? ", e.cloudevent" : string.Empty, StorePosition.ClockMargin.TotalSeconds),
            PartiesColumn => string.Format(CultureInfo.InvariantCulture, ScannedPartiesSql, string.Empty, position, floor, payload),
            SequenceColumn => string.Format(CultureInfo.InvariantCulture, ScannedSql, string.Empty, position, floor, payload),
            _ => string.Format(CultureInfo.InvariantCulture, ScannedSql, column + " = @key AND ", position, floor, payload),
        };
    }

    private const string PartiesColumn = "party_id:any";

    private const string HolderColumn = "holder";

    private const string SequenceColumn = "seq";

    // The one indexed column the scan walks (each has an index ending in seq): the narrowest the filter names.
    private static (string Column, object Key) ScanColumn(EventFilter filter) => filter switch
    {
        { PartyId: { } party } => ("party_id", party),
        { Holder: { } holder } => (HolderColumn, holder),
        { PartyIn: { Count: <= MaxPartyProbes } parties } => (PartiesColumn, parties.ToArray()),
        { PartyIn: not null, Resource: { } resource } => ("resource", resource),
        { PartyIn: not null } => (SequenceColumn, 0),
        { Subject: { } subject } => ("subject", subject),
        { AlternativeSubject: { } alternative } => ("alternative_subject", alternative),
        { Resource: { } resource } => ("resource", resource),
        _ => throw new ArgumentException("A scan needs a resource, party, subject or alternative subject.", nameof(filter)),
    };

    // Whether the holder holds a role for the row's party: a probe of party_roles' key per row. A scalar subquery, not
    // EXISTS: the generic plan of the prepared statement (which guesses a holder has 3 roles) made EXISTS a semi join
    // that read all the holder's roles for every row (10 000 for the accountant: 36 ms a page instead of 2).
    private static string HoldsRoleSql(string holder, string party) =>
        $"COALESCE((SELECT true FROM party_roles r WHERE r.subject = {holder} AND r.party_id = {party} LIMIT 1), false)";

    private static string Filters(EventFilter filter, string column)
    {
        var sql = new StringBuilder();
        if (filter.Resource is not null && column != "resource")
        {
            sql.Append(" AND resource = @Resource");
        }

        if (filter.AppEventsOnly)
        {
            sql.Append(" AND resource LIKE @AppResourceLike AND resource NOT LIKE @AppResourceNotLike");
        }

        if (filter.PartyId is not null && column != "party_id")
        {
            sql.Append(" AND party_id = @PartyId");
        }

        if (filter.PartyIn is not null && column != PartiesColumn)
        {
            // Thousands of parties: a hashed subplan, one hash probe per row also under the generic plan the prepared
            // statement (Npgsql's auto-prepare) switches to; `= ANY(@PartyIn)` is hashed only when the array is a
            // constant, so a generic plan searched the whole array for every row (340 ms a page of the accountant).
            // Not a top-level IN, so it stays a filter of the scan (rows in its order) and is not made a join.
            sql.Append(" AND COALESCE(party_id IN (SELECT unnest(@PartyIn)), false)");
        }

        if (filter.Holder is not null)
        {
            // Index rows of a role since withdrawn, and the store's rows past the indexer's cursor, are dropped here.
            sql.Append(" AND ").Append(HoldsRoleSql("@Holder", "scanned.party_id"));
        }

        if (filter.Subject is not null && column != "subject")
        {
            sql.Append(" AND subject = @Subject");
        }

        if (filter.AlternativeSubject is not null && column != "alternative_subject")
        {
            sql.Append(" AND alternative_subject = @AlternativeSubject");
        }

        if (filter.SubjectIn is not null)
        {
            sql.Append(" AND subject = ANY(@SubjectIn)");
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

        return sql.ToString();
    }

    private async Task<long> SeqBeforeAsync(DateTimeOffset time, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            SeqBeforeSql, new { t = time, prune = StorePosition.Earlier(time, TimeSpan.FromDays(1)) }, cancellationToken: cancellationToken));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    // Npgsql reads timestamptz as a UTC DateTime; Dapper does not map that to DateTimeOffset by itself.
    private sealed record EventRow(long Seq, DateTime Registered, string Id, string Resource, string Source, string Type, string? Subject, int? PartyId)
    {
        public ScannedEvent ToScanned() => new(Seq, Utc(Registered), Id, Resource, Source, Type, Subject, PartyId);
    }

    private sealed class ScanRow
    {
        public long? HeadSeq { get; set; }

        public DateTime? HeadRegistered { get; set; }

        public int Examined { get; set; }

        public long? LastExamined { get; set; }

        public long? Seq { get; set; }

        public DateTime? Registered { get; set; }

        public string? Id { get; set; }

        public string? Resource { get; set; }

        public string? Source { get; set; }

        public string? Type { get; set; }

        public string? Subject { get; set; }

        public int? PartyId { get; set; }

        public string? CloudEvent { get; set; }

        public ScannedEvent ToScanned() => new(Seq!.Value, Utc(Registered!.Value), Id!, Resource!, Source!, Type!, Subject, PartyId);
    }
}
