using Altinn.Events.Core.Delivery;
using Dapper;
using Altinn.Events.Persistence.Events;
using Npgsql;

namespace Altinn.Events.Persistence.Delivery;

/// <summary>A matched (event, subscription) pair to record, with its status and, for unauthorized ones, why.</summary>
public sealed record NewDelivery(Guid SubscriptionId, long Seq, DateTimeOffset Registered, string Status, string? Reason);

/// <summary>
/// Records matched deliveries once each (the inbound stage); the outbound stage updates the rows as it pushes. A queued
/// row is due <see cref="DeliveryTimes.QueuedGrace"/> later: if its queue message never arrives, the scheduler takes it.
/// </summary>
public sealed class DeliveryRecorder(NpgsqlDataSource dataSource)
{
    private const string RecordSql = $"""
        INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, reason, due)
        SELECT t.*, CASE WHEN t.status = '{DeliveryStatus.Queued}' THEN t.created + @grace END
        FROM unnest(@registered, @seqs, @subscriptions, @created, @statuses, @reasons) AS t(registered, seq, subscription, created, status, reason)
        ON CONFLICT DO NOTHING
        RETURNING subscription_id AS SubscriptionId, event_seq AS Seq
        """;

    // On a retried message: also return pairs recorded before that are still queued (the earlier attempt may have committed
    // and then died, or lost its answer, before handing them on). The no-op update only makes RETURNING see them.
    private const string RecordAgainSql = $"""
        INSERT INTO deliveries AS d (event_registered, event_seq, subscription_id, created, status, reason, due)
        SELECT t.*, CASE WHEN t.status = '{DeliveryStatus.Queued}' THEN t.created + @grace END
        FROM unnest(@registered, @seqs, @subscriptions, @created, @statuses, @reasons) AS t(registered, seq, subscription, created, status, reason)
        ON CONFLICT (subscription_id, event_seq, event_registered) DO UPDATE SET status = d.status WHERE d.status = '{DeliveryStatus.Queued}'
        RETURNING subscription_id AS SubscriptionId, event_seq AS Seq
        """;

    /// <summary>
    /// Records the deliveries of the <paramref name="matched"/> events (those already recorded are left as they are) and
    /// deletes the events' outbox rows in the same transaction, commits, and then calls <paramref name="handOn"/> with the
    /// deliveries that were new. An event is thus either still in the outbox (and sent to matching again after its lease)
    /// or has its deliveries recorded, whatever happens to queue messages. Handing on after the commit means the outbound
    /// stage never gets a message before the rows it claims are visible; if handing on fails (or the process dies first),
    /// the queued rows are due <see cref="DeliveryTimes.QueuedGrace"/> later and the outbound scheduler takes them from
    /// PostgreSQL, so nothing is lost and a retried inbound message sends nothing twice.
    /// </summary>
    /// <param name="matched">The events whose outbox rows go.</param>
    /// <param name="deliveries">The matched pairs.</param>
    /// <param name="now">When they are recorded.</param>
    /// <param name="handOn">Sends the new queued deliveries to the outbound stage, after the commit.</param>
    /// <param name="retry">
    /// A retried message: pairs recorded by an earlier attempt and still queued are handed on again too, since that attempt
    /// may have committed and died before handing on (claims make a second hand-on harmless). Otherwise they would wait
    /// for the scheduler's <see cref="DeliveryTimes.QueuedGrace"/>.
    /// </param>
    /// <param name="cancellationToken">Cancels the recording.</param>
    public async Task RecordAsync(IReadOnlyCollection<long> matched, IReadOnlyList<NewDelivery> deliveries, DateTimeOffset now, Func<IReadOnlyList<NewDelivery>, CancellationToken, Task> handOn, bool retry, CancellationToken cancellationToken)
    {
        if (matched.Count == 0 && deliveries.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var fresh = new List<NewDelivery>();
        if (deliveries.Count > 0)
        {
            var parameters = new
            {
                registered = deliveries.Select(d => d.Registered.ToUniversalTime()).ToArray(),
                seqs = deliveries.Select(d => d.Seq).ToArray(),
                subscriptions = deliveries.Select(d => d.SubscriptionId).ToArray(),
                created = deliveries.Select(_ => now.ToUniversalTime()).ToArray(),
                statuses = deliveries.Select(d => d.Status).ToArray(),
                reasons = deliveries.Select(d => d.Reason).ToArray(),
                grace = DeliveryTimes.QueuedGrace,
            };
            var inserted = (await connection.QueryAsync<(Guid SubscriptionId, long Seq)>(new CommandDefinition(retry ? RecordAgainSql : RecordSql, parameters, transaction, cancellationToken: cancellationToken))).ToHashSet();
            fresh.AddRange(deliveries.Where(d => inserted.Contains((d.SubscriptionId, d.Seq))));
        }

        await Outbox.SettleAsync(connection, transaction, matched, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (fresh.Count > 0)
        {
            await handOn(fresh, cancellationToken);
        }
    }
}
