using System.Net.Mime;
using System.Text;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Delivery;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;
using Dapper;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>
/// Batched push mode against a real receiver: each request is one <c>application/cloudevents-batch+json</c> array that
/// the official CloudEvents SDK decodes, signed once over the body (verified with the StandardWebhooks package), within
/// the subscription's event and byte limits, oldest first; a failed batch is retried as the same batch with the same
/// webhook-id and every event's attempts are in the delivery log; and no queue operation is added per event.
/// </summary>
public sealed class BatchedPushTests(OutboundFixture stage) : IClassFixture<OutboundFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Backlog_OfThousandsOfEvents_IsPushedInBatchesOfAtMostBatchMaxEvents_OldestFirst_SdkDecoded_SignedOverTheBody()
    {
        var endpoint = _receiver.Endpoint(200);
        var (subscriptionId, secret) = await stage.SeedSubscriptionAsync(endpoint);
        await BatchedAsync(subscriptionId, maxEvents: 50, maxBytes: null);
        var events = await stage.SeedEventsAsync(3000);
        var poisonBefore = stage.Sent.To(stage.Queues.Poison(stage.Queues.Outbound).Name);
        var outboundBefore = stage.Sent.To(stage.Queues.Outbound);

        // 12 queue messages of up to 256 deliveries, as the inbound stage writes them.
        await stage.EnqueueManyAsync([.. events.Select(e => e.For(subscriptionId))]);

        Assert.True(
            await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(subscriptionId)).GetValueOrDefault("delivered") == events.Count, TimeSpan.FromMinutes(2)),
            $"not every event was delivered: {string.Join(", ", await stage.StatusesAsync(subscriptionId))}");
        var pushes = _receiver.To(endpoint);
        var seqs = events.ToDictionary(e => e.Id, e => e.Seq);
        var received = new List<string>();
        foreach (var push in pushes)
        {
            Assert.StartsWith("application/cloudevents-batch+json", push.Headers["Content-Type"], StringComparison.Ordinal);
            var batch = Decode(push);
            Assert.InRange(batch.Count, 1, 50);
            var order = batch.Select(e => seqs[e.Id!]).ToList();
            Assert.Equal(order.Order(), order);
            Assert.StartsWith($"{subscriptionId}:batch:{order[0]}-{order[^1]}:", push.Headers["webhook-id"], StringComparison.Ordinal);
            Verify(secret, push);
            received.AddRange(batch.Select(e => e.Id!));
        }

        Assert.Equal(events.Select(e => e.Id).Order(), received.Order());
        Assert.InRange(pushes.Count, 60, 120); // 3000 events in batches of 50 (each message's last batch is smaller): not one request per event
        Assert.Equal(events.Count, await AttemptCountAsync(subscriptionId, "delivered"));

        // The stage wrote no queue message for all this: batching adds no queue operations per event.
        Assert.Equal(outboundBefore, stage.Sent.To(stage.Queues.Outbound));
        Assert.Equal(poisonBefore, stage.Sent.To(stage.Queues.Poison(stage.Queues.Outbound).Name));
    }

    [Fact]
    public async Task BatchMaxBytes_BoundsEveryRequestBody_AndAnEventLargerThanThatGoesAlone()
    {
        var endpoint = _receiver.Endpoint(200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        await BatchedAsync(subscriptionId, maxEvents: null, maxBytes: 2048);
        var small = await stage.SeedEventsAsync(60);
        var large = await stage.SeedEventAsync(EventBuilder.Generic().With("note", new string('x', 3000)));

        await stage.EnqueueManyAsync([.. small.Select(e => e.For(subscriptionId)), large.For(subscriptionId)]);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(subscriptionId)).GetValueOrDefault("delivered") == 61, OutboundFixture.Patience));
        var pushes = _receiver.To(endpoint);
        var alone = Assert.Single(pushes, p => p.Body.Contains(large.Id, StringComparison.Ordinal));
        Assert.Single(Decode(alone));
        foreach (var push in pushes.Where(p => p != alone))
        {
            Assert.True(Encoding.UTF8.GetByteCount(push.Body) <= 2048, $"a body of {Encoding.UTF8.GetByteCount(push.Body)} bytes");
        }

        Assert.True(pushes.Count < 30, $"{pushes.Count} requests for 61 events: they were not batched");
        Assert.Equal(61, pushes.Sum(p => Decode(p).Count));
    }

    [Fact]
    public async Task FailedBatch_IsRetriedAsTheSameBatchWithTheSameWebhookId_EveryEventLogged_ARedeliveryGetsANewId()
    {
        var endpoint = _receiver.Endpoint(500, 200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        await BatchedAsync(subscriptionId, maxEvents: null, maxBytes: null);
        var events = await stage.SeedEventsAsync(5);

        await stage.EnqueueAsync([.. events.Select(e => e.For(subscriptionId))]);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(subscriptionId)).GetValueOrDefault("delivered") == 5, OutboundFixture.Patience));
        var pushes = _receiver.To(endpoint);
        Assert.Equal(2, pushes.Count);
        Assert.Equal([500, 200], pushes.Select(p => p.Status));
        Assert.Equal(pushes[0].Headers["webhook-id"], pushes[1].Headers["webhook-id"]);
        Assert.Equal(pushes[0].Body, pushes[1].Body);
        Assert.Equal(events.Select(e => e.Id), Decode(pushes[1]).Select(e => e.Id));
        foreach (var e in events)
        {
            Assert.Equal(("delivered", 2), ((await stage.DeliveryAsync(subscriptionId, e.Seq)).Status, (await stage.DeliveryAsync(subscriptionId, e.Seq)).Attempts));
        }

        var log = await AttemptsAsync(subscriptionId);
        Assert.Equal(10, log.Count);
        foreach (var e in events)
        {
            Assert.Equal([(1, "retry", 500), (2, "delivered", 200)], log.Where(a => a.Seq == e.Seq).Select(a => (a.Attempt, a.Outcome, a.StatusCode ?? 0)));
        }

        // One failed request counted once against the endpoint, not once per event it carried (a success then healed it).
        Assert.Equal(0, await ConsecutiveFailuresAsync(subscriptionId));

        // A redelivery is a new delivery of the same events: a new webhook-id.
        await new DeliveryStore(stage.Database.DataSource).QueueAgainAsync(subscriptionId, [.. events.Select(e => (e.Seq, e.Registered))], DateTimeOffset.UtcNow, CancellationToken.None);
        await stage.SendAsync([.. events.Select(e => e.For(subscriptionId))]);
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 3), OutboundFixture.Patience), "the redelivery was not pushed");
        var again = _receiver.To(endpoint)[2];
        Assert.NotEqual(pushes[0].Headers["webhook-id"], again.Headers["webhook-id"]);
        Assert.Equal(events.Select(e => e.Id), Decode(again).Select(e => e.Id));
    }

    [Fact]
    public async Task FailingBatches_OpenTheEndpointPerRequest_NotPerEvent()
    {
        // OpenAfter is 50 in this fixture: a batch of 60 events failing once must not open the endpoint.
        var endpoint = _receiver.Endpoint(500, 200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        await BatchedAsync(subscriptionId, maxEvents: 100, maxBytes: null);
        var events = await stage.SeedEventsAsync(60);

        await stage.EnqueueAsync([.. events.Select(e => e.For(subscriptionId))]);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(subscriptionId)).GetValueOrDefault("delivered") == 60, OutboundFixture.Patience));
        Assert.Equal(2, _receiver.To(endpoint).Count);
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM delivery_attempts WHERE subscription_id = @subscriptionId AND probe", new { subscriptionId }));
    }

    [Fact]
    public async Task ClaimsOfACrashedInstance_Lapse_AndTheirDeliveriesArePushedAsABatch_NothingLost()
    {
        var endpoint = _receiver.Endpoint(200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        await BatchedAsync(subscriptionId, maxEvents: null, maxBytes: null);
        var events = await stage.SeedEventsAsync(8);

        // An instance claimed them (pushing) and died before recording anything: the claims' due time has passed.
        // (One statement, so the scheduler finds them all in one round.)
        await using (var connection = await stage.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, attempts, due, claim)
                SELECT r, s, @subscriptionId, now(), 'pushing', 0, now() - interval '1 second', @dead FROM unnest(@registereds, @seqs) AS t(r, s)
                """,
                new { subscriptionId, dead = Guid.NewGuid(), registereds = events.Select(e => e.Registered).ToArray(), seqs = events.Select(e => e.Seq).ToArray() });
        }

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(subscriptionId)).GetValueOrDefault("delivered") == 8, OutboundFixture.Patience));
        var push = Assert.Single(_receiver.To(endpoint));
        Assert.Equal(events.Select(e => e.Id), Decode(push).Select(e => e.Id));
    }

    private static IReadOnlyList<CloudEvent> Decode(Push push) =>
        new JsonEventFormatter().DecodeBatchModeMessage(Encoding.UTF8.GetBytes(push.Body), new ContentType(push.Headers["Content-Type"]), null);

    private static void Verify(string secret, Push push)
    {
        var headers = new HeaderDictionary
        {
            ["webhook-id"] = push.Headers["webhook-id"],
            ["webhook-timestamp"] = push.Headers["webhook-timestamp"],
            ["webhook-signature"] = push.Headers["webhook-signature"],
        };
        new StandardWebhook(secret).Verify(push.Body, headers); // throws when it does not verify
    }

    private async Task BatchedAsync(Guid subscriptionId, int? maxEvents, int? maxBytes)
    {
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            "UPDATE subscriptions SET content_mode = 'batched', batch_max_events = @maxEvents, batch_max_bytes = @maxBytes WHERE id = @subscriptionId",
            new { subscriptionId, maxEvents, maxBytes });
    }

    private async Task<long> AttemptCountAsync(Guid subscriptionId, string outcome)
    {
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM delivery_attempts WHERE subscription_id = @subscriptionId AND outcome = @outcome", new { subscriptionId, outcome });
    }

    private async Task<List<(long Seq, int Attempt, string Outcome, int? StatusCode)>> AttemptsAsync(Guid subscriptionId)
    {
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<(long, int, string, int?)>(
            "SELECT event_seq, attempt, outcome, status_code FROM delivery_attempts WHERE subscription_id = @subscriptionId ORDER BY attempted_at, id", new { subscriptionId })];
    }

    private async Task<int> ConsecutiveFailuresAsync(Guid subscriptionId)
    {
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>(
            "SELECT coalesce((SELECT e.consecutive_failures FROM endpoints e JOIN subscriptions s ON s.endpoint_id = e.id WHERE s.id = @subscriptionId), 0)", new { subscriptionId });
    }
}
