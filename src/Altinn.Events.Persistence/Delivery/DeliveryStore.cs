using Altinn.Events.Core.Delivery;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Delivery;

/// <summary>An event as the outbound stage pushes it: the stored structured CloudEvent, untouched.</summary>
public sealed record PushEvent(long Seq, DateTimeOffset Registered, string Id, string CloudEvent);

/// <summary>What the outbound stage needs of a subscription.</summary>
public sealed record PushTarget(Guid Id, string EndPoint, string Secret, string ValidationStatus, DateTimeOffset? DisabledAt);

/// <summary>The state of one (event, subscription) delivery as the <c>deliveries</c> table holds it.</summary>
public sealed record DeliveryState(string Status, int Attempts);

/// <summary>Everything one outbound message refers to, loaded with one query per table.</summary>
public sealed record DeliveryBatch(
    IReadOnlyDictionary<(long Seq, DateTimeOffset Registered), PushEvent> Events,
    IReadOnlyDictionary<Guid, PushTarget> Subscriptions,
    IReadOnlyDictionary<(Guid SubscriptionId, long Seq), DeliveryState> States);

/// <summary>One push attempt for the delivery log.</summary>
public sealed record AttemptRecord(
    DeliveryReference Delivery,
    string EventId,
    DateTimeOffset AttemptedAt,
    int? StatusCode,
    TimeSpan Duration,
    string? Error,
    string Outcome);

/// <summary>Values of <c>delivery_attempts.outcome</c>.</summary>
public static class AttemptOutcome
{
    public const string Delivered = "delivered";
    public const string Retry = "retry";
    public const string Failed = "failed";
    public const string Gone = "gone";
}

/// <summary>A row of the delivery log.</summary>
public sealed record LoggedAttempt(
    long Id,
    DateTimeOffset AttemptedAt,
    long EventSeq,
    string EventId,
    int Attempt,
    int? StatusCode,
    int DurationMs,
    string? Error,
    string Outcome);

/// <summary>An event a redelivery may push: what matching and authorization need.</summary>
public sealed record RedeliveryCandidate(
    long Seq,
    DateTimeOffset Registered,
    string Id,
    string Resource,
    string Source,
    string Type,
    string? Subject,
    int? PartyId);

/// <summary>
/// The delivery side of PostgreSQL: loads what an outbound message refers to, records attempts in the delivery log
/// (<c>delivery_attempts</c>) and their outcome in <c>deliveries</c>, tracks failing endpoints, and serves the
/// delivery log and redelivery endpoints.
/// </summary>
public sealed class DeliveryStore(NpgsqlDataSource dataSource)
{
    // The registration bounds let PostgreSQL prune the day partitions to the few the message touches.
    private const string SelectEvents = """
        SELECT e.seq, e.registered, e.id, e.cloudevent AS CloudEvent
        FROM events e
        WHERE e.registered BETWEEN @min AND @max
          AND (e.seq, e.registered) IN (SELECT * FROM unnest(@seqs, @registereds))
        """;

    private const string SelectSubscriptions = """
        SELECT id, end_point AS EndPoint, secret, validation_status AS ValidationStatus, disabled_at AS DisabledAt
        FROM subscriptions WHERE id = ANY(@ids)
        """;

    private const string SelectStates = """
        SELECT d.subscription_id AS SubscriptionId, d.event_seq AS Seq, d.status, d.attempts
        FROM deliveries d
        WHERE d.event_registered BETWEEN @min AND @max
          AND (d.subscription_id, d.event_seq, d.event_registered) IN (SELECT * FROM unnest(@subscriptionIds, @seqs, @registereds))
        """;

    // One round trip per attempt: the log row, the delivery's state, and the subscription's failing_since (set on the
    // first failure, cleared by a success). Returns failing_since after a failure, so the caller can disable.
    private const string RecordAttempt = """
        WITH logged AS (
            INSERT INTO delivery_attempts (attempted_at, subscription_id, event_seq, event_registered, event_id, attempt, status_code, duration_ms, error, outcome)
            VALUES (@at, @subscriptionId, @seq, @registered, @eventId, @attempt, @statusCode, @durationMs, @error, @outcome)
        ), delivery AS (
            INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, reason, attempts, updated)
            VALUES (@registered, @seq, @subscriptionId, @at, @status, @error, @attempt, @at)
            ON CONFLICT (subscription_id, event_seq, event_registered)
            DO UPDATE SET status = EXCLUDED.status, reason = EXCLUDED.reason, attempts = EXCLUDED.attempts, updated = EXCLUDED.updated
        )
        UPDATE subscriptions
        SET failing_since = CASE WHEN @success THEN NULL ELSE coalesce(failing_since, @at) END
        WHERE id = @subscriptionId AND (NOT @success OR failing_since IS NOT NULL)
        RETURNING failing_since
        """;

    private const string Disable = """
        UPDATE subscriptions
        SET validation_status = 'failed', disabled_at = @at, disabled_reason = @reason, last_validation_error = @reason, failing_since = NULL
        WHERE id = @id AND validation_status = 'validated' AND failing_since <= @failingBefore
        """;

    private const string MarkSkipped = """
        INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, reason, attempts, updated)
        SELECT t.registered, t.seq, t.subscription_id, @at, 'skipped', t.reason, 0, @at
        FROM unnest(@registereds, @seqs, @subscriptionIds, @reasons) AS t(registered, seq, subscription_id, reason)
        ON CONFLICT (subscription_id, event_seq, event_registered)
        DO UPDATE SET status = 'skipped', reason = EXCLUDED.reason, updated = EXCLUDED.updated
        """;

    // attempted_at >= the event's registration prunes the log's partitions older than the event.
    private const string SelectHistory = """
        SELECT id, attempted_at AS AttemptedAt, event_seq AS EventSeq, event_id AS EventId, attempt, status_code AS StatusCode,
               duration_ms AS DurationMs, error, outcome
        FROM delivery_attempts
        WHERE subscription_id = @subscriptionId AND event_seq = @seq AND attempted_at >= @registered
        ORDER BY attempted_at, id
        """;

    private const string SelectPage = """
        SELECT id, attempted_at AS AttemptedAt, event_seq AS EventSeq, event_id AS EventId, attempt, status_code AS StatusCode,
               duration_ms AS DurationMs, error, outcome
        FROM delivery_attempts
        WHERE subscription_id = @subscriptionId AND (attempted_at, id) < (@beforeAt, @beforeId)
        ORDER BY attempted_at DESC, id DESC
        LIMIT @limit
        """;

    private const string QueueAgain = """
        INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, reason, attempts, updated)
        SELECT t.registered, t.seq, @subscriptionId, @at, 'queued', 'redelivery requested', 0, @at
        FROM unnest(@registereds, @seqs) AS t(registered, seq)
        ON CONFLICT (subscription_id, event_seq, event_registered)
        DO UPDATE SET status = 'queued', reason = 'redelivery requested', attempts = 0, updated = EXCLUDED.updated
        """;

    /// <summary>The events, subscriptions and delivery states <paramref name="deliveries"/> refer to: three queries.</summary>
    public async Task<DeliveryBatch> LoadAsync(IReadOnlyList<DeliveryReference> deliveries, CancellationToken cancellationToken)
    {
        var keys = deliveries.Select(d => (d.Seq, Registered: d.Registered.ToUniversalTime())).Distinct().ToArray();
        var min = keys.Min(k => k.Registered);
        var max = keys.Max(k => k.Registered);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        var events = await connection.QueryAsync<EventRow>(new CommandDefinition(
            SelectEvents,
            new { min, max, seqs = keys.Select(k => k.Seq).ToArray(), registereds = keys.Select(k => k.Registered).ToArray() },
            cancellationToken: cancellationToken));
        var subscriptions = await connection.QueryAsync<TargetRow>(new CommandDefinition(
            SelectSubscriptions, new { ids = deliveries.Select(d => d.SubscriptionId).Distinct().ToArray() }, cancellationToken: cancellationToken));
        var states = await connection.QueryAsync<StateRow>(new CommandDefinition(
            SelectStates,
            new
            {
                min,
                max,
                subscriptionIds = deliveries.Select(d => d.SubscriptionId).ToArray(),
                seqs = deliveries.Select(d => d.Seq).ToArray(),
                registereds = deliveries.Select(d => d.Registered.ToUniversalTime()).ToArray(),
            },
            cancellationToken: cancellationToken));

        return new DeliveryBatch(
            events.Select(e => new PushEvent(e.Seq, Utc(e.Registered), e.Id, e.CloudEvent)).ToDictionary(e => (e.Seq, e.Registered)),
            subscriptions.Select(s => new PushTarget(s.Id, s.EndPoint, s.Secret, s.ValidationStatus, s.DisabledAt is { } d ? Utc(d) : null)).ToDictionary(s => s.Id),
            states.ToDictionary(s => (s.SubscriptionId, s.Seq), s => new DeliveryState(s.Status, s.Attempts)));
    }

    /// <summary>
    /// Logs an attempt, sets the delivery's status (<paramref name="deliveryStatus"/>), and clears the subscription's
    /// failing_since on success or sets it on the first failure.
    /// </summary>
    /// <returns>After a failure, since when the subscription has been failing; null after a success.</returns>
    public async Task<DateTimeOffset?> RecordAttemptAsync(AttemptRecord attempt, string deliveryStatus, CancellationToken cancellationToken)
    {
        var success = attempt.Outcome == AttemptOutcome.Delivered;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var failingSince = await connection.QueryFirstOrDefaultAsync<DateTime?>(new CommandDefinition(
            RecordAttempt,
            new
            {
                at = attempt.AttemptedAt,
                subscriptionId = attempt.Delivery.SubscriptionId,
                seq = attempt.Delivery.Seq,
                registered = attempt.Delivery.Registered.ToUniversalTime(),
                eventId = attempt.EventId,
                attempt = attempt.Delivery.Attempt,
                statusCode = attempt.StatusCode,
                durationMs = (int)Math.Min(int.MaxValue, Math.Round(attempt.Duration.TotalMilliseconds)),
                error = attempt.Error,
                outcome = attempt.Outcome,
                status = deliveryStatus,
                success,
            },
            cancellationToken: cancellationToken));
        return success || failingSince is not { } since ? null : Utc(since);
    }

    /// <summary>Disables a validated subscription that has been failing since before <paramref name="failingBefore"/>.</summary>
    /// <returns>Whether this call disabled it.</returns>
    public async Task<bool> DisableAsync(Guid id, DateTimeOffset failingBefore, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Disable, new { id, failingBefore, reason, at }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Records deliveries that were not pushed, with why.</summary>
    public async Task MarkSkippedAsync(IReadOnlyList<(DeliveryReference Delivery, string Reason)> skipped, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (skipped.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            MarkSkipped,
            new
            {
                at,
                registereds = skipped.Select(s => s.Delivery.Registered.ToUniversalTime()).ToArray(),
                seqs = skipped.Select(s => s.Delivery.Seq).ToArray(),
                subscriptionIds = skipped.Select(s => s.Delivery.SubscriptionId).ToArray(),
                reasons = skipped.Select(s => s.Reason).ToArray(),
            },
            cancellationToken: cancellationToken));
    }

    /// <summary>Every logged attempt of one delivery, oldest first.</summary>
    public async Task<IReadOnlyList<LoggedAttempt>> HistoryAsync(DeliveryReference delivery, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LogRow>(new CommandDefinition(
            SelectHistory,
            new { subscriptionId = delivery.SubscriptionId, seq = delivery.Seq, registered = delivery.Registered.ToUniversalTime() },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToAttempt())];
    }

    /// <summary>Up to <paramref name="limit"/> attempts of a subscription older than the cursor, newest first.</summary>
    public async Task<IReadOnlyList<LoggedAttempt>> PageAsync(Guid subscriptionId, (DateTimeOffset At, long Id)? before, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<LogRow>(new CommandDefinition(
            SelectPage,
            new
            {
                subscriptionId,
                beforeAt = before?.At ?? DateTimeOffset.MaxValue.AddDays(-1),
                beforeId = before?.Id ?? long.MaxValue,
                limit,
            },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => r.ToAttempt())];
    }

    /// <summary>
    /// Events of <paramref name="resource"/> (and one of <paramref name="subjects"/> when given) above the cursor or
    /// registered from <paramref name="from"/>, in sequence order: index range scans on (resource, seq) or (subject, seq).
    /// </summary>
    public async Task<IReadOnlyList<RedeliveryCandidate>> ReadCandidatesAsync(
        string resource, IReadOnlyList<string>? subjects, (long Seq, DateTimeOffset Registered)? after, DateTimeOffset? from, int limit, CancellationToken cancellationToken)
    {
        var sql = "SELECT seq, registered, id, resource, source, type, subject, party_id AS PartyId FROM events WHERE resource = @resource";
        if (subjects is not null)
        {
            sql += " AND subject = ANY(@subjects)";
        }

        if (after is not null)
        {
            // Registration times ascend with seq; the margin covers clock differences between writers (as EventReader).
            sql += " AND seq > @afterSeq AND registered >= @afterRegistered";
        }

        if (from is not null)
        {
            sql += " AND registered >= @from";
        }

        sql += " ORDER BY seq LIMIT @limit";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<CandidateRow>(new CommandDefinition(
            sql,
            new
            {
                resource,
                subjects = subjects?.ToArray(),
                afterSeq = after?.Seq ?? 0,
                afterRegistered = after is { } a ? a.Registered - TimeSpan.FromMinutes(5) : DateTimeOffset.MinValue,
                from,
                limit,
            },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new RedeliveryCandidate(r.Seq, Utc(r.Registered), r.Id, r.Resource, r.Source, r.Type, r.Subject, r.PartyId))];
    }

    /// <summary>The position of event <paramref name="eventId"/> of <paramref name="resource"/>, or null when it is not stored.</summary>
    public async Task<(long Seq, DateTimeOffset Registered)?> FindEventAsync(string eventId, string resource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(long Seq, DateTime Registered)?>(new CommandDefinition(
            "SELECT seq, registered FROM events WHERE id = @eventId AND resource = @resource ORDER BY seq DESC LIMIT 1",
            new { eventId, resource },
            cancellationToken: cancellationToken));
        return row is { } r ? (r.Seq, Utc(r.Registered)) : null;
    }

    /// <summary>Puts deliveries of a subscription back to queued with no attempts, creating rows that do not exist.</summary>
    public async Task QueueAgainAsync(Guid subscriptionId, IReadOnlyList<(long Seq, DateTimeOffset Registered)> events, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            QueueAgain,
            new
            {
                subscriptionId,
                at,
                registereds = events.Select(e => e.Registered.ToUniversalTime()).ToArray(),
                seqs = events.Select(e => e.Seq).ToArray(),
            },
            cancellationToken: cancellationToken));
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    // Npgsql reads timestamptz as a UTC DateTime; Dapper does not map that to DateTimeOffset by itself.
    private sealed record EventRow(long Seq, DateTime Registered, string Id, string CloudEvent);

    private sealed record TargetRow(Guid Id, string EndPoint, string Secret, string ValidationStatus, DateTime? DisabledAt);

    private sealed record StateRow(Guid SubscriptionId, long Seq, string Status, int Attempts);

    private sealed record CandidateRow(long Seq, DateTime Registered, string Id, string Resource, string Source, string Type, string? Subject, int? PartyId);

    private sealed class LogRow
    {
        public long Id { get; set; }

        public DateTime AttemptedAt { get; set; }

        public long EventSeq { get; set; }

        public string EventId { get; set; } = string.Empty;

        public int Attempt { get; set; }

        public int? StatusCode { get; set; }

        public int DurationMs { get; set; }

        public string? Error { get; set; }

        public string Outcome { get; set; } = string.Empty;

        public LoggedAttempt ToAttempt() => new(Id, Utc(AttemptedAt), EventSeq, EventId, Attempt, StatusCode, DurationMs, Error, Outcome);
    }
}
