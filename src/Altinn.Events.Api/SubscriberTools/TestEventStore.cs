using Altinn.Events.Core.Delivery;
using Altinn.Events.Persistence.Events;
using Dapper;
using Npgsql;

namespace Altinn.Events.Api.SubscriberTools;

/// <summary>A stored test event and its queued delivery: what the outbound message refers to.</summary>
internal sealed record StoredTestEvent(long Seq, DateTimeOffset Registered);

/// <summary>
/// Stores a test event for one subscription: the event (under the write lock, with its key row, as every writer does, so
/// cursor readers never skip it) and its queued delivery row, in one transaction, and no outbox row: the inbound stage never
/// sees it, so it is matched to no other subscription.
/// </summary>
internal sealed class TestEventStore(NpgsqlDataSource dataSource)
{
    private const string InsertSql = $"""
        SELECT pg_advisory_xact_lock(@lockKey);
        WITH new_key AS (
            INSERT INTO event_keys (key, registered, id, seq, content)
            VALUES (@key, @registered, @id, nextval('events_seq'), @content)
            RETURNING seq
        ), stored AS (
            INSERT INTO events (seq, registered, id, source, resource, type, subject, alternative_subject, party_id, time, cloudevent)
            SELECT seq, @registered, @id, @source, @resource, @type, NULL, NULL, NULL, @registered, @cloudEvent FROM new_key
            RETURNING seq
        ), delivery AS (
            INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, reason, attempts, updated, due)
            SELECT @registered, seq, @subscriptionId, @registered, '{DeliveryStatus.Queued}', 'test event', 0, @registered, @due FROM stored
        )
        SELECT seq FROM stored
        """;

    public async Task<StoredTestEvent> InsertAsync(Guid subscriptionId, NewEvent testEvent, DateTimeOffset registered, DateTimeOffset due, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long seq;
        await using (var results = await connection.QueryMultipleAsync(new CommandDefinition(
            InsertSql,
            new
            {
                lockKey = EventStore.WriteLockKey,
                key = testEvent.Key,
                content = testEvent.ContentHash,
                id = testEvent.Id,
                source = testEvent.Source,
                resource = testEvent.Resource,
                type = testEvent.Type,
                cloudEvent = testEvent.CloudEvent,
                registered,
                subscriptionId,
                due,
            },
            transaction,
            cancellationToken: cancellationToken)))
        {
            await results.ReadAsync();
            seq = await results.ReadSingleAsync<long>();
        }

        await transaction.CommitAsync(cancellationToken);
        return new StoredTestEvent(seq, registered);
    }
}
