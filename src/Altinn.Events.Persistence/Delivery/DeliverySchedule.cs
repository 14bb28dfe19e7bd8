using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Subscriptions;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Delivery;

/// <summary>
/// A delivery one outbound instance claimed for one push: nobody else pushes it while <see cref="Claim"/> holds it (until
/// the push is recorded, or the claim's due time passes because the instance died).
/// </summary>
/// <param name="Delivery">The delivery; its <see cref="DeliveryReference.Attempt"/> is the number of the attempt to make.</param>
/// <param name="PreviousStatus">The status before the claim: queued, waiting, parked (due: give it up if its endpoint is still open) or pushing (a lapsed claim).</param>
/// <param name="FirstFailedAt">The first failed attempt, or when it first had to wait on an open endpoint.</param>
/// <param name="Claim">The claim, which recording the attempt must present.</param>
/// <param name="Generation">How many times the delivery was redelivered (0: the first delivery); names its webhook-id.</param>
public sealed record ClaimedDelivery(DeliveryReference Delivery, string PreviousStatus, DateTimeOffset? FirstFailedAt, Guid Claim, int Generation = 0);

/// <summary>An endpoint whose probe is due, or one with a backlog to drain (<paramref name="Version"/>: its backlog_version).</summary>
public sealed record EndpointRef(Guid Id, string EndPoint, long Version = 0);

/// <summary>How an endpoint is doing, as <c>GET /subscriptions/{id}</c> shows it.</summary>
public sealed record EndpointHealth(string State, DateTimeOffset? FailingSince, int ConsecutiveFailures, DateTimeOffset? NextProbeAt, string? LastError, long WaitingDeliveries);

/// <summary>
/// The outbound stage's state machine in PostgreSQL (migration 0008): atomic claims before every push, so a delivery has
/// at most one push in flight whatever copies of its message exist; the due index the scheduler works from (retries,
/// lapsed claims, lost queue messages, deliveries to give up); parking deliveries on an endpoint that is open or busy;
/// probes of open endpoints and drains of backlogs. Every statement works on a batch and locks with SKIP LOCKED, so any
/// number of outbound instances share the work.
/// </summary>
public sealed class DeliverySchedule(NpgsqlDataSource dataSource)
{
    private const string Returning = """
        RETURNING d.subscription_id AS SubscriptionId, d.event_seq AS Seq, d.event_registered AS Registered, c.status AS PreviousStatus,
                  d.attempts AS Attempts, d.first_failed_at AS FirstFailedAt, d.generation AS Generation
        """;

    // A queue message claims only deliveries still queued: one that was pushed, is being pushed or waits for a retry is
    // someone else's. A plain UPDATE probes the primary key once per delivery (a row another claim holds is waited for,
    // then found no longer queued).
    private const string ClaimQueued = $"""
        UPDATE deliveries d SET status = '{DeliveryStatus.Pushing}', claim = @claim, due = @leaseUntil, updated = @at
        FROM unnest(@subscriptionIds, @seqs, @registereds) AS t(subscription_id, seq, registered)
        WHERE d.subscription_id = t.subscription_id AND d.event_seq = t.seq AND d.event_registered = t.registered
          AND d.event_registered BETWEEN @min AND @max AND d.status = '{DeliveryStatus.Queued}'
        RETURNING d.subscription_id AS SubscriptionId, d.event_seq AS Seq, d.event_registered AS Registered, '{DeliveryStatus.Queued}' AS PreviousStatus,
                  d.attempts AS Attempts, d.first_failed_at AS FirstFailedAt, d.generation AS Generation
        """;

    private const string ClaimDue = $"""
        WITH c AS (
            SELECT subscription_id, event_seq, event_registered, status
            FROM deliveries
            WHERE due <= @now
            ORDER BY due
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries d SET status = '{DeliveryStatus.Pushing}', claim = @claim, due = @leaseUntil, updated = @now
        FROM c
        WHERE d.subscription_id = c.subscription_id AND d.event_seq = c.event_seq AND d.event_registered = c.event_registered
        {Returning}
        """;

    private const string ClaimParked = $"""
        WITH c AS (
            SELECT subscription_id, event_seq, event_registered, status
            FROM deliveries
            WHERE status = '{DeliveryStatus.Parked}' AND subscription_id = @subscriptionId
            ORDER BY event_seq
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
        )
        UPDATE deliveries d SET status = '{DeliveryStatus.Pushing}', claim = @claim, due = @leaseUntil, updated = @at
        FROM c
        WHERE d.subscription_id = c.subscription_id AND d.event_seq = c.event_seq AND d.event_registered = c.event_registered
        {Returning}
        """;

    // Parks deliveries still queued, or claimed under @claim, and bumps their endpoints' backlog_version in the same
    // statement: a drain that saw the old version and then found nothing parked cannot have missed these.
    private const string Park = $"""
        WITH parked AS (
            UPDATE deliveries d
            SET status = '{DeliveryStatus.Parked}', claim = NULL, updated = @at,
                first_failed_at = CASE WHEN @failing THEN coalesce(d.first_failed_at, @at) ELSE d.first_failed_at END,
                due = CASE WHEN @fromNow THEN @at ELSE coalesce(d.first_failed_at, @at) END + @span
            FROM unnest(@subscriptionIds, @seqs, @registereds) AS t(subscription_id, seq, registered)
            WHERE d.subscription_id = t.subscription_id AND d.event_seq = t.seq AND d.event_registered = t.registered
              AND d.event_registered BETWEEN @min AND @max
              AND (d.status = '{DeliveryStatus.Queued}' OR (d.status = '{DeliveryStatus.Pushing}' AND d.claim = @claim))
            RETURNING d.subscription_id
        ), bumped AS (
            INSERT INTO endpoints AS e (id, end_point, backlog_version, updated)
            SELECT s.endpoint_id, min(s.end_point), 1, @at
            FROM subscriptions s WHERE s.id IN (SELECT subscription_id FROM parked)
            GROUP BY s.endpoint_id
            ON CONFLICT (id) DO UPDATE SET backlog_version = e.backlog_version + 1, updated = EXCLUDED.updated
        )
        SELECT count(*) FROM parked
        """;

    private const string GiveUp = $"""
        WITH gave AS (
            UPDATE deliveries d SET status = '{DeliveryStatus.Failed}', reason = @reason, due = NULL, claim = NULL, updated = @at
            FROM unnest(@subscriptionIds, @seqs, @registereds, @eventIds) AS t(subscription_id, seq, registered, event_id)
            WHERE d.subscription_id = t.subscription_id AND d.event_seq = t.seq AND d.event_registered = t.registered
              AND d.event_registered BETWEEN @min AND @max AND d.claim = @claim
            RETURNING d.subscription_id, d.event_seq, d.event_registered, d.attempts, t.event_id
        )
        INSERT INTO delivery_attempts (attempted_at, subscription_id, event_seq, event_registered, event_id, attempt, status_code, duration_ms, error, outcome)
        SELECT @at, subscription_id, event_seq, event_registered, event_id, attempts, NULL, 0, @reason, '{AttemptOutcome.GaveUp}' FROM gave
        """;

    // Ends a claim without an attempt (the delivery could not get a slot after all): due again at once.
    private const string Release = $"""
        UPDATE deliveries d SET status = CASE WHEN d.attempts = 0 THEN '{DeliveryStatus.Queued}' ELSE '{DeliveryStatus.Waiting}' END, claim = NULL, due = @at, updated = @at
        FROM unnest(@subscriptionIds, @seqs, @registereds) AS t(subscription_id, seq, registered)
        WHERE d.subscription_id = t.subscription_id AND d.event_seq = t.seq AND d.event_registered = t.registered
          AND d.event_registered BETWEEN @min AND @max AND d.claim = @claim
        """;

    // Ends claims without an attempt, each due again at its own time (an endpoint's allowed rate is used up until then):
    // the deliveries wait in PostgreSQL, not in a process, and the scheduler takes them when they are due.
    private const string Defer = $"""
        UPDATE deliveries d SET status = CASE WHEN d.attempts = 0 THEN '{DeliveryStatus.Queued}' ELSE '{DeliveryStatus.Waiting}' END, claim = NULL, due = t.due, updated = @at
        FROM unnest(@subscriptionIds, @seqs, @registereds, @dues) AS t(subscription_id, seq, registered, due)
        WHERE d.subscription_id = t.subscription_id AND d.event_seq = t.seq AND d.event_registered = t.registered
          AND d.event_registered BETWEEN @min AND @max AND d.claim = @claim
        """;

    // Pauses claimed deliveries of subscriptions that are still paused. The subscription rows are share-locked, so a
    // resume (which updates the row, then makes its paused deliveries due) either waits for this statement and then sees
    // what it paused, or commits first and leaves these unpaused: no delivery is paused after its subscription resumed.
    private const string Pause = $"""
        WITH s AS (SELECT id FROM subscriptions WHERE id = ANY(@subscriptionIds) AND NOT enabled FOR SHARE)
        UPDATE deliveries d SET status = '{DeliveryStatus.Paused}', due = NULL, claim = NULL, updated = @at
        FROM unnest(@subscriptionIds, @seqs, @registereds) AS t(subscription_id, seq, registered)
        WHERE d.subscription_id = t.subscription_id AND d.event_seq = t.seq AND d.event_registered = t.registered
          AND d.event_registered BETWEEN @min AND @max AND d.claim = @claim AND d.subscription_id IN (SELECT id FROM s)
        RETURNING d.subscription_id AS SubscriptionId, d.event_seq AS Seq
        """;

    private const string ClaimProbes = $"""
        UPDATE endpoints e SET next_probe_at = @leaseUntil, updated = @now
        WHERE e.id IN (
            SELECT id FROM endpoints WHERE state = '{EndpointState.Open}' AND next_probe_at <= @now ORDER BY next_probe_at LIMIT @limit FOR UPDATE SKIP LOCKED)
        RETURNING e.id, e.end_point AS EndPoint
        """;

    // Nothing is parked to probe with: the next push is the probe (a failure opens it again at once: the count stays).
    private const string HalfOpen = $"""
        UPDATE endpoints SET state = '{EndpointState.Failing}', next_probe_at = NULL, updated = @at WHERE id = @id AND state = '{EndpointState.Open}'
        """;

    private const string ProbeAt = $"UPDATE endpoints SET next_probe_at = @at WHERE id = @id AND state = '{EndpointState.Open}'";

    private const string Backlogs = $"""
        SELECT id, end_point AS EndPoint, backlog_version AS Version FROM endpoints
        WHERE backlog_version > drained_version AND state <> '{EndpointState.Open}'
        LIMIT @limit
        """;

    private const string MarkDrained = "UPDATE endpoints SET drained_version = @version WHERE id = @id AND backlog_version = @version";

    // PerPush: the deliveries one request carries (a batched subscription's batch size), so a drain claims enough for its slots.
    private const string SubscriptionsOf = $"""
        SELECT id, consumer, CASE WHEN content_mode = '{ContentModes.Batched}' THEN coalesce(batch_max_events, @defaultBatch) ELSE 1 END AS PerPush
        FROM subscriptions WHERE endpoint_id = @id ORDER BY id
        """;

    private const string StateOf = $"SELECT coalesce((SELECT state FROM endpoints WHERE id = @id), '{EndpointState.Healthy}')";

    private const string OnOpenEndpoints = $"""
        SELECT s.id FROM subscriptions s JOIN endpoints e ON e.id = s.endpoint_id WHERE s.id = ANY(@ids) AND e.state = '{EndpointState.Open}'
        """;

    private const string Counts = $"""
        SELECT (SELECT count(*) FROM endpoints WHERE state = '{EndpointState.Open}') AS OpenEndpoints,
               (SELECT count(*) FROM deliveries WHERE due IS NOT NULL AND status IN ('{DeliveryStatus.Waiting}', '{DeliveryStatus.Parked}')) AS Waiting
        """;

    private const string Health = $"""
        SELECT coalesce(e.state, '{EndpointState.Healthy}') AS State, e.failing_since AS FailingSince, coalesce(e.consecutive_failures, 0) AS ConsecutiveFailures,
               e.next_probe_at AS NextProbeAt, e.last_error AS LastError,
               (SELECT count(*) FROM deliveries d WHERE d.subscription_id = s.id AND d.status IN ('{DeliveryStatus.Waiting}', '{DeliveryStatus.Parked}', '{DeliveryStatus.Paused}')) AS Waiting
        FROM subscriptions s LEFT JOIN endpoints e ON e.id = s.endpoint_id
        WHERE s.id = @id
        """;

    /// <summary>Claims those of <paramref name="deliveries"/> that are still queued (a queue message's first attempts).</summary>
    public async Task<IReadOnlyList<ClaimedDelivery>> ClaimQueuedAsync(IReadOnlyList<DeliveryReference> deliveries, Guid claim, DateTimeOffset at, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        if (deliveries.Count == 0)
        {
            return [];
        }

        var (min, max) = Bounds(deliveries);
        return await QueryClaimsAsync(ClaimQueued, new { min, max, claim, at, leaseUntil, subscriptionIds = Ids(deliveries), seqs = Seqs(deliveries), registereds = Registereds(deliveries) }, claim, cancellationToken);
    }

    /// <summary>Claims up to <paramref name="limit"/> deliveries whose due time has come, earliest first.</summary>
    public Task<IReadOnlyList<ClaimedDelivery>> ClaimDueAsync(int limit, Guid claim, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        QueryClaimsAsync(ClaimDue, new { limit, claim, now, leaseUntil }, claim, cancellationToken);

    /// <summary>Claims up to <paramref name="limit"/> of a subscription's parked deliveries, oldest event first.</summary>
    public Task<IReadOnlyList<ClaimedDelivery>> ClaimParkedAsync(Guid subscriptionId, int limit, Guid claim, DateTimeOffset at, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        QueryClaimsAsync(ClaimParked, new { subscriptionId, limit, claim, at, leaseUntil }, claim, cancellationToken);

    /// <summary>
    /// Parks deliveries that are queued, or claimed under <paramref name="claim"/>, to wait on their endpoint. When the
    /// endpoint is open (<paramref name="failing"/>) the wait counts as failing; either way they are given up (if their
    /// endpoint is open then) <paramref name="span"/> after they first failed (or now), or after now when
    /// <paramref name="fromNow"/> (their span had passed, but their endpoint was no longer open).
    /// </summary>
    /// <returns>How many were parked.</returns>
    public async Task<long> ParkAsync(IReadOnlyList<DeliveryReference> deliveries, Guid? claim, bool failing, TimeSpan span, DateTimeOffset at, CancellationToken cancellationToken, bool fromNow = false)
    {
        if (deliveries.Count == 0)
        {
            return 0;
        }

        var (min, max) = Bounds(deliveries);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            Park,
            new { min, max, claim, failing, fromNow, span, at, subscriptionIds = Ids(deliveries), seqs = Seqs(deliveries), registereds = Registereds(deliveries) },
            cancellationToken: cancellationToken));
    }

    /// <summary>Marks claimed deliveries failed without a push, with a <c>gaveup</c> row each in the delivery log.</summary>
    public async Task GiveUpAsync(IReadOnlyList<(ClaimedDelivery Delivery, string EventId)> deliveries, string reason, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var group in deliveries.GroupBy(d => d.Delivery.Claim))
        {
            var items = group.ToList();
            var references = items.Select(d => d.Delivery.Delivery).ToList();
            var (min, max) = Bounds(references);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                GiveUp,
                new { min, max, claim = group.Key, reason, at, subscriptionIds = Ids(references), seqs = Seqs(references), registereds = Registereds(references), eventIds = items.Select(d => d.EventId).ToArray() },
                cancellationToken: cancellationToken));
        }
    }

    /// <summary>Ends claims without an attempt: the deliveries are due again at once.</summary>
    public async Task ReleaseAsync(IReadOnlyList<ClaimedDelivery> deliveries, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var group in deliveries.GroupBy(d => d.Claim))
        {
            var references = group.Select(d => d.Delivery).ToList();
            var (min, max) = Bounds(references);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                Release,
                new { min, max, claim = group.Key, at, subscriptionIds = Ids(references), seqs = Seqs(references), registereds = Registereds(references) },
                cancellationToken: cancellationToken));
        }
    }

    /// <summary>Ends claims without an attempt: each delivery is due again at its own <c>Due</c>, its attempts unchanged.</summary>
    public async Task DeferAsync(IReadOnlyList<(ClaimedDelivery Delivery, DateTimeOffset Due)> deliveries, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var group in deliveries.GroupBy(d => d.Delivery.Claim))
        {
            var items = group.ToList();
            var references = items.Select(d => d.Delivery.Delivery).ToList();
            var (min, max) = Bounds(references);
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                Defer,
                new { min, max, claim = group.Key, at, subscriptionIds = Ids(references), seqs = Seqs(references), registereds = Registereds(references), dues = items.Select(d => d.Due.ToUniversalTime()).ToArray() },
                cancellationToken: cancellationToken));
        }
    }

    /// <summary>
    /// Marks claimed deliveries of paused subscriptions paused (due: never, until resumed); those whose subscription was
    /// resumed meanwhile are released instead, due at once.
    /// </summary>
    public async Task PauseAsync(IReadOnlyList<ClaimedDelivery> deliveries, DateTimeOffset at, CancellationToken cancellationToken)
    {
        foreach (var group in deliveries.GroupBy(d => d.Claim))
        {
            var references = group.Select(d => d.Delivery).ToList();
            var (min, max) = Bounds(references);
            IEnumerable<(Guid SubscriptionId, long Seq)> paused;
            await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
            {
                paused = await connection.QueryAsync<(Guid, long)>(new CommandDefinition(
                    Pause,
                    new { min, max, claim = group.Key, at, subscriptionIds = Ids(references), seqs = Seqs(references), registereds = Registereds(references) },
                    cancellationToken: cancellationToken));
            }

            var done = paused.ToHashSet();
            var resumed = group.Where(d => !done.Contains((d.Delivery.SubscriptionId, d.Delivery.Seq))).ToList();
            if (resumed.Count > 0)
            {
                await ReleaseAsync(resumed, at, cancellationToken);
            }
        }
    }

    /// <summary>Open endpoints whose probe is due, each claimed until <paramref name="leaseUntil"/>.</summary>
    public async Task<IReadOnlyList<EndpointRef>> ClaimProbesAsync(int limit, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid Id, string EndPoint)>(new CommandDefinition(ClaimProbes, new { limit, now, leaseUntil }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new EndpointRef(r.Id, r.EndPoint))];
    }

    /// <summary>An open endpoint with nothing parked to probe with: its next push decides (a failure opens it again).</summary>
    public async Task HalfOpenAsync(Guid endpointId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(HalfOpen, new { id = endpointId, at }, cancellationToken: cancellationToken));
    }

    /// <summary>Moves an open endpoint's next probe (the probe could not be made now).</summary>
    public async Task ProbeAtAsync(Guid endpointId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(ProbeAt, new { id = endpointId, at }, cancellationToken: cancellationToken));
    }

    /// <summary>Endpoints that are not open and have parked deliveries.</summary>
    public async Task<IReadOnlyList<EndpointRef>> BacklogsAsync(int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<EndpointRef>(new CommandDefinition(Backlogs, new { limit }, cancellationToken: cancellationToken))];
    }

    /// <summary>Records that an endpoint had nothing parked when its backlog was at <paramref name="version"/>.</summary>
    public async Task MarkDrainedAsync(Guid endpointId, long version, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(MarkDrained, new { id = endpointId, version }, cancellationToken: cancellationToken));
    }

    /// <summary>The subscriptions pushing to an endpoint, with their consumers and how many deliveries one request carries.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Consumer, int PerPush)>> SubscriptionsOfAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<(Guid, string, int)>(new CommandDefinition(
            SubscriptionsOf, new { id = endpointId, defaultBatch = Core.Subscriptions.ContentModes.DefaultBatchMaxEvents }, cancellationToken: cancellationToken))];
    }

    /// <summary>An endpoint's state now.</summary>
    public async Task<string> StateOfAsync(Guid endpointId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string>(new CommandDefinition(StateOf, new { id = endpointId }, cancellationToken: cancellationToken)) ?? EndpointState.Healthy;
    }

    /// <summary>Those of <paramref name="subscriptionIds"/> whose endpoint is open now.</summary>
    public async Task<IReadOnlySet<Guid>> OnOpenEndpointsAsync(IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(OnOpenEndpoints, new { ids = subscriptionIds.ToArray() }, cancellationToken: cancellationToken))).ToHashSet();
    }

    /// <summary>Open endpoints and deliveries waiting (for a retry or on their endpoint), for the metrics.</summary>
    public async Task<(long OpenEndpoints, long Waiting)> CountsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(Counts, cancellationToken: cancellationToken));
    }

    /// <summary>The health of a subscription's endpoint and how many of its deliveries wait; null when it does not exist.</summary>
    public async Task<EndpointHealth?> HealthAsync(Guid subscriptionId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<HealthRow>(new CommandDefinition(Health, new { id = subscriptionId }, cancellationToken: cancellationToken));
        return row is null ? null : new EndpointHealth(row.State, Utc(row.FailingSince), row.ConsecutiveFailures, Utc(row.NextProbeAt), row.LastError, row.Waiting);
    }

    private async Task<IReadOnlyList<ClaimedDelivery>> QueryClaimsAsync(string sql, object parameters, Guid claim, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ClaimRow>(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));

        // RETURNING comes in no particular order: oldest event first, so pushes start (and wait in line) in event order.
        return [.. rows.OrderBy(r => r.Seq).Select(r => new ClaimedDelivery(
            new DeliveryReference(r.SubscriptionId, r.Seq, Utc(r.Registered), r.Attempts + 1), r.PreviousStatus, Utc(r.FirstFailedAt), claim, r.Generation))];
    }

    private static (DateTimeOffset Min, DateTimeOffset Max) Bounds(IReadOnlyList<DeliveryReference> deliveries) =>
        (deliveries.Min(d => d.Registered.ToUniversalTime()), deliveries.Max(d => d.Registered.ToUniversalTime()));

    private static Guid[] Ids(IReadOnlyList<DeliveryReference> deliveries) => [.. deliveries.Select(d => d.SubscriptionId)];

    private static long[] Seqs(IReadOnlyList<DeliveryReference> deliveries) => [.. deliveries.Select(d => d.Seq)];

    private static DateTimeOffset[] Registereds(IReadOnlyList<DeliveryReference> deliveries) => [.. deliveries.Select(d => d.Registered.ToUniversalTime())];

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? Utc(v) : null;

    private sealed record ClaimRow(Guid SubscriptionId, long Seq, DateTime Registered, string PreviousStatus, int Attempts, DateTime? FirstFailedAt, int Generation);

    private sealed record HealthRow(string State, DateTime? FailingSince, int ConsecutiveFailures, DateTime? NextProbeAt, string? LastError, long Waiting);
}
