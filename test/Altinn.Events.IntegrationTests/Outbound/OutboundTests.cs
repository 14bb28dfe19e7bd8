using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>
/// The outbound stage against a real receiver on loopback: signed pushes, retries on the compressed schedule, the
/// poison queue, 410, 429 with Retry-After, a hanging endpoint beside a healthy one, the Slack envelope, idempotence.
/// </summary>
public sealed class OutboundTests(OutboundFixture stage) : IClassFixture<OutboundFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Retry_ForAConsumerWhoMayNoLongerRead_IsNotPushed_ButOneWhoMayIs()
    {
        // User 1339 holds no role for party 50001 (as if it was withdrawn after the first attempt); user 1337 holds PRIV.
        var strangerEndpoint = _receiver.Endpoint(200);
        var holderEndpoint = _receiver.Endpoint(200);
        var (stranger, _) = await stage.SeedSubscriptionAsync(strangerEndpoint, consumer: "/user/1339");
        var (holder, _) = await stage.SeedSubscriptionAsync(holderEndpoint, consumer: "/user/1337");
        var e = await stage.SeedEventAsync(EventBuilder.Generic().With("subject", "/party/50001"));

        // Both failed once and their retry is due now: the scheduler takes them from PostgreSQL.
        await stage.SeedDeliveryAsync(e.For(stranger), "waiting", attempts: 1, due: DateTimeOffset.UtcNow);
        await stage.SeedDeliveryAsync(e.For(holder), "waiting", attempts: 1, due: DateTimeOffset.UtcNow);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(holder, e.Seq)).Status == "delivered", OutboundFixture.Patience));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(stranger, e.Seq)).Status == "skipped", OutboundFixture.Patience));
        Assert.Contains("may no longer read", (await stage.DeliveryAsync(stranger, e.Seq)).Reason);
        Assert.Empty(_receiver.To(strangerEndpoint));
        Assert.Single(_receiver.To(holderEndpoint));
    }

    [Fact]
    public async Task Push_To2xxEndpoint_LandsOnce_AsTheStoredCloudEventWithAValidSignature()
    {
        var endpoint = _receiver.Endpoint(200);
        var (subscriptionId, secret) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());

        await stage.EnqueueAsync(e.For(subscriptionId));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "delivered", OutboundFixture.Patience));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var push = Assert.Single(_receiver.To(endpoint));
        Assert.StartsWith("application/cloudevents+json", push.Headers["Content-Type"]);
        Assert.Equal(e.CloudEvent, push.Body);
        Assert.Equal($"{subscriptionId}:{e.Seq}", push.Headers["webhook-id"]);

        // Standard Webhooks, verified with our own HMAC rather than the service's code.
        var timestamp = push.Headers["webhook-timestamp"];
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{push.Headers["webhook-id"]}.{timestamp}.{push.Body}")));
        Assert.Equal(expected, push.Headers["webhook-signature"]);
        Assert.InRange(long.Parse(timestamp), DateTimeOffset.UtcNow.AddMinutes(-2).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds());

        var delivery = await stage.DeliveryAsync(subscriptionId, e.Seq);
        Assert.Equal(1, delivery.Attempts);
    }

    [Fact]
    public async Task RedeliveredMessage_DoesNotPushADeliveredDeliveryAgain()
    {
        var endpoint = _receiver.Endpoint(200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());
        await stage.EnqueueAsync(e.For(subscriptionId));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "delivered", OutboundFixture.Patience));

        await stage.SendAsync(e.For(subscriptionId));
        await stage.SendAsync(e.For(subscriptionId));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.Queues.PeekAsync(stage.Queues.Outbound)).Length == 0, OutboundFixture.Patience));
        await Task.Delay(TimeSpan.FromSeconds(1));

        Assert.Single(_receiver.To(endpoint));
    }

    [Fact]
    public async Task ReceiverFailingTwice_GetsTheEventOnTheThirdAttempt_AtTheScheduledDelay()
    {
        var endpoint = _receiver.Endpoint(500, 503, 200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());

        await stage.EnqueueAsync(e.For(subscriptionId));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "delivered", OutboundFixture.Patience));
        var pushes = _receiver.To(endpoint);
        Assert.Equal(3, pushes.Count);
        Assert.All(pushes, p => Assert.Equal(e.CloudEvent, p.Body));
        Assert.Single(pushes.Select(p => p.Headers["webhook-id"]).Distinct());
        for (var i = 1; i < pushes.Count; i++)
        {
            // The schedule says 1 s; storage queue visibility is whole seconds.
            Assert.True(pushes[i].At - pushes[i - 1].At >= TimeSpan.FromMilliseconds(900), $"attempt {i + 1} came {pushes[i].At - pushes[i - 1].At} after the previous one");
        }

        Assert.Equal(3, (await stage.DeliveryAsync(subscriptionId, e.Seq)).Attempts);
    }

    [Fact]
    public async Task ReceiverAlwaysFailing_AfterTheTwelfthAttempt_DeliveryIsOnThePoisonQueueWithItsHistory_AndFailed()
    {
        var endpoint = _receiver.Endpoint(500);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());

        await stage.EnqueueAsync(e.For(subscriptionId));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "failed", TimeSpan.FromSeconds(60)));
        Assert.Equal(12, _receiver.To(endpoint).Count);
        var poison = Assert.Single(await stage.PoisonedAsync(), p => p.SubscriptionId == subscriptionId);
        Assert.Equal(e.Id, poison.EventId);
        Assert.Equal(e.Seq, poison.Seq);
        Assert.Equal(12, poison.DequeueCount);
        Assert.Equal(Enumerable.Range(1, 12), poison.History.Select(h => h.Attempt));
        Assert.All(poison.History, h => Assert.Equal(500, h.StatusCode));
        Assert.Equal("failed", poison.History[^1].Outcome);
        Assert.Contains("HTTP 500", poison.Reason, StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(12, _receiver.To(endpoint).Count);
    }

    [Fact]
    public async Task Receiver410_StopsAtOnce_AsGone()
    {
        var endpoint = _receiver.Endpoint(410, 200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());

        await stage.EnqueueAsync(e.For(subscriptionId));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "gone", OutboundFixture.Patience));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.Single(_receiver.To(endpoint));
    }

    [Fact]
    public async Task Receiver429WithRetryAfter_NextAttemptWaitsAtLeastThatLong()
    {
        var endpoint = _receiver.Endpoint(n => n == 0 ? new Reply(429, RetryAfter: "3") : Reply.Ok);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());

        await stage.EnqueueAsync(e.For(subscriptionId));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "delivered", OutboundFixture.Patience));
        var pushes = _receiver.To(endpoint);
        Assert.Equal(2, pushes.Count);
        Assert.True(pushes[1].At - pushes[0].At >= TimeSpan.FromSeconds(2.9), $"the retry came after {pushes[1].At - pushes[0].At}; Retry-After asked for 3 s");
    }

    [Fact]
    public async Task HangingEndpoint_DoesNotDelayPushesToAHealthyOne_InTheSameMessage()
    {
        var hanging = _receiver.Endpoint(_ => new Reply(200, Delay: TimeSpan.FromSeconds(30)));
        var healthy = _receiver.Endpoint(200);
        var (hangingId, _) = await stage.SeedSubscriptionAsync(hanging);
        var (healthyId, _) = await stage.SeedSubscriptionAsync(healthy);
        var events = new List<SeededEvent>();
        for (var i = 0; i < 6; i++)
        {
            events.Add(await stage.SeedEventAsync(EventBuilder.Generic()));
        }

        // The hanging endpoint first, and more of its deliveries than its concurrency limit (4).
        var started = DateTimeOffset.UtcNow;
        await stage.EnqueueAsync([.. events.Select(e => e.For(hangingId)), .. events.Select(e => e.For(healthyId))]);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(healthy).Count == 6), TimeSpan.FromSeconds(10)));
        var lastHealthy = _receiver.To(healthy).Max(p => p.At);
        Assert.True(lastHealthy - started < TimeSpan.FromSeconds(2.5), $"the healthy endpoint got its pushes {lastHealthy - started} after enqueueing");
        Assert.InRange(_receiver.To(hanging).Count, 1, 4);

        // The hanging pushes time out (3 s) and are retried on their own.
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(hangingId, events[0].Seq)).Attempts >= 1, OutboundFixture.Patience));
        Assert.Equal("timeout", (await stage.DeliveryAsync(hangingId, events[0].Seq)).Reason);
    }

    [Fact]
    public async Task SlackEndpoint_GetsTheEventJsonAsText()
    {
        var endpoint = _receiver.Endpoint(n => Reply.Ok, host: "hooks.slack.com");
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());

        await stage.EnqueueAsync(e.For(subscriptionId));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "delivered", OutboundFixture.Patience));
        var push = Assert.Single(_receiver.To(endpoint));
        Assert.Equal("hooks.slack.com", push.Host);
        Assert.StartsWith("application/json", push.Headers["Content-Type"]);
        var body = JsonDocument.Parse(push.Body).RootElement;
        Assert.Equal(e.CloudEvent, body.GetProperty("text").GetString());
        Assert.Single(body.EnumerateObject());
    }

    [Fact]
    public async Task DeletedOrUnvalidatedSubscription_IsSkippedWithTheReason()
    {
        var endpoint = _receiver.Endpoint(200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());
        var missing = Guid.NewGuid();
        await using (var connection = await stage.Database.DataSource.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE subscriptions SET validation_status = 'pending' WHERE id = @subscriptionId", new { subscriptionId });
        }

        await stage.EnqueueAsync(e.For(subscriptionId), e.For(missing));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(missing, e.Seq)).Status == "skipped", OutboundFixture.Patience));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(subscriptionId, e.Seq)).Status == "skipped", OutboundFixture.Patience));
        Assert.Equal("the subscription was deleted", (await stage.DeliveryAsync(missing, e.Seq)).Reason);
        Assert.Contains("pending", (await stage.DeliveryAsync(subscriptionId, e.Seq)).Reason, StringComparison.Ordinal);
        Assert.Empty(_receiver.To(endpoint));
    }
}
