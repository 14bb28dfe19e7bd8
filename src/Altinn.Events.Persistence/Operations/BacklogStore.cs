using Altinn.Events.Core.Delivery;
using Dapper;
using Npgsql;

namespace Altinn.Events.Persistence.Operations;

/// <summary>The outbox: how many stored events the inbound stage has not matched yet, and when the oldest of them (by sequence) was registered.</summary>
public sealed record OutboxBacklog(long Depth, long? OldestSeq, DateTimeOffset? OldestRegistered);

/// <summary>Unsettled deliveries of one status whose due time passed before the threshold.</summary>
public sealed record OverdueCount(string Status, long Count, DateTimeOffset OldestDue);

/// <summary>One overdue delivery, among the oldest.</summary>
public sealed record OverdueDelivery(Guid SubscriptionId, long Seq, DateTimeOffset Registered, string Status, DateTimeOffset Due, int Attempts, DateTimeOffset? FirstFailedAt);

/// <summary>An endpoint that is failing or open, with the deliveries parked on it.</summary>
public sealed record TroubledEndpoint(
    Guid Id,
    string EndPoint,
    string State,
    int ConsecutiveFailures,
    DateTimeOffset? FailingSince,
    DateTimeOffset? OpenedAt,
    DateTimeOffset? NextProbeAt,
    string? LastError,
    long ParkedDeliveries,
    int Subscriptions);

/// <summary>Everything <see cref="BacklogStore.ReadAsync"/> found.</summary>
/// <param name="Outbox">The outbox.</param>
/// <param name="Overdue">Counts per status of the overdue deliveries examined.</param>
/// <param name="OverdueCapped">True when more than the cap were overdue: the counts are lower bounds.</param>
/// <param name="Oldest">The oldest overdue deliveries, oldest due first.</param>
/// <param name="Endpoints">Failing and open endpoints, open first, longest failing first.</param>
public sealed record Backlog(
    OutboxBacklog Outbox,
    IReadOnlyList<OverdueCount> Overdue,
    bool OverdueCapped,
    IReadOnlyList<OverdueDelivery> Oldest,
    IReadOnlyList<TroubledEndpoint> Endpoints);

/// <summary>
/// Read-only views of stuck work for the operator API. Every query is bounded by an index: the outbox by its primary
/// key, overdue deliveries by the partial index <c>deliveries_due</c> (a <c>due &lt; x</c> predicate implies
/// <c>due IS NOT NULL</c>, so the planner uses it on every partition), parked counts by <c>subscriptions_endpoint</c>
/// and <c>deliveries_parked</c>. Nothing here scans the deliveries table.
/// </summary>
public sealed class BacklogStore(NpgsqlDataSource dataSource)
{
    // Only seq and registered: the lease columns (due, sends) belong to the relay.
    private const string OutboxSql = """
        SELECT (SELECT count(*) FROM outbox) AS Depth, o.seq AS OldestSeq, o.registered AS OldestRegistered
        FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT seq, registered FROM outbox ORDER BY seq LIMIT 1) o ON true
        """;

    // The overdue rows are counted through the due index and at most @cap of them, so a huge backlog costs a bounded read.
    internal const string OverdueSql = """
        SELECT status AS Status, count(*) AS Count, min(due) AS OldestDue
        FROM (SELECT status, due FROM deliveries WHERE due < @before ORDER BY due LIMIT @cap) d
        GROUP BY status
        ORDER BY status
        """;

    internal const string OldestSql = """
        SELECT subscription_id AS SubscriptionId, event_seq AS Seq, event_registered AS Registered, status AS Status, due AS Due,
               attempts AS Attempts, first_failed_at AS FirstFailedAt
        FROM deliveries
        WHERE due < @before
        ORDER BY due
        LIMIT @limit
        """;

    private const string EndpointsSql = $"""
        SELECT e.id AS Id, e.end_point AS EndPoint, e.state AS State, e.consecutive_failures AS ConsecutiveFailures,
               e.failing_since AS FailingSince, e.opened_at AS OpenedAt, e.next_probe_at AS NextProbeAt, e.last_error AS LastError,
               coalesce(p.parked, 0)::bigint AS ParkedDeliveries, coalesce(p.subscriptions, 0)::int AS Subscriptions
        FROM endpoints e
        LEFT JOIN LATERAL (
            SELECT count(s.id) AS subscriptions,
                   sum((SELECT count(*) FROM deliveries d WHERE d.subscription_id = s.id AND d.status = @parked)) AS parked
            FROM subscriptions s WHERE s.endpoint_id = e.id
        ) p ON true
        WHERE e.state <> '{EndpointState.Healthy}'
        ORDER BY e.state = '{EndpointState.Open}' DESC, e.failing_since NULLS LAST, e.id
        LIMIT @limit
        """;

    /// <summary>
    /// The outbox, the deliveries whose due time is before <paramref name="overdueBefore"/> (at most
    /// <paramref name="cap"/> counted, the <paramref name="oldest"/> oldest listed) and up to
    /// <paramref name="endpoints"/> endpoints that are failing or open.
    /// </summary>
    public async Task<Backlog> ReadAsync(DateTimeOffset overdueBefore, int cap, int oldest, int endpoints, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);

        // One snapshot for the whole report, read only.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var outbox = await connection.QuerySingleAsync<OutboxRow>(new CommandDefinition(OutboxSql, transaction: transaction, cancellationToken: cancellationToken));
        var overdue = (await connection.QueryAsync<OverdueRow>(new CommandDefinition(
            OverdueSql, new { before = overdueBefore, cap = cap + 1 }, transaction, cancellationToken: cancellationToken))).ToList();
        var oldestRows = await connection.QueryAsync<OldestRow>(new CommandDefinition(
            OldestSql, new { before = overdueBefore, limit = oldest }, transaction, cancellationToken: cancellationToken));
        var troubled = await connection.QueryAsync<EndpointRow>(new CommandDefinition(
            EndpointsSql, new { parked = DeliveryStatus.Parked, limit = endpoints }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return new Backlog(
            new OutboxBacklog(outbox.Depth, outbox.OldestSeq, Utc(outbox.OldestRegistered)),
            [.. overdue.Select(o => new OverdueCount(o.Status, o.Count, Utc(o.OldestDue)))],
            overdue.Sum(o => o.Count) > cap,
            [.. oldestRows.Select(o => new OverdueDelivery(o.SubscriptionId, o.Seq, Utc(o.Registered), o.Status, Utc(o.Due), o.Attempts, Utc(o.FirstFailedAt)))],
            [.. troubled.Select(e => new TroubledEndpoint(
                e.Id, e.EndPoint, e.State, e.ConsecutiveFailures, Utc(e.FailingSince), Utc(e.OpenedAt), Utc(e.NextProbeAt), e.LastError, e.ParkedDeliveries, e.Subscriptions))]);
    }

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private static DateTimeOffset? Utc(DateTime? value) => value is { } v ? Utc(v) : null;

    private sealed record OutboxRow(long Depth, long? OldestSeq, DateTime? OldestRegistered);

    private sealed record OverdueRow(string Status, long Count, DateTime OldestDue);

    private sealed record OldestRow(Guid SubscriptionId, long Seq, DateTime Registered, string Status, DateTime Due, int Attempts, DateTime? FirstFailedAt);

    private sealed record EndpointRow(
        Guid Id, string EndPoint, string State, int ConsecutiveFailures, DateTime? FailingSince, DateTime? OpenedAt, DateTime? NextProbeAt,
        string? LastError, long ParkedDeliveries, int Subscriptions);
}
