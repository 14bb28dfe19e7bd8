using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Dapper;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>
/// Outbound isolation at volume, against the real PostgreSQL, Azurite and loopback receivers: a dead endpoint's backlog
/// waits in PostgreSQL and costs no queue messages and one probe per retry step, healthy endpoints on the same resource
/// are not held up, recovery drains the backlog once, hanging endpoints keep to their own slots, one consumer keeps to its
/// share, and nothing a crash or a lost message leaves behind is lost or pushed twice.
/// </summary>
public sealed class IsolationTests(IsolationFixture stage) : IClassFixture<IsolationFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(120);

    // The fixture's Outbound:Timeout: the stage gives up on a push after it.
    private static readonly TimeSpan PushTimeout = TimeSpan.FromSeconds(3);
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task DeadEndpointWith10000Deliveries_CostsNoQueueMessagesAndOneProbePerStep_HealthyOneGetsAll_RecoveryDeliversEachOnce()
    {
        var alive = false;
        var dead = _receiver.Endpoint(_ => new Reply(Volatile.Read(ref alive) ? 200 : 500));
        var healthy = _receiver.Endpoint(200);
        var (deadId, _) = await stage.SeedSubscriptionAsync(dead);
        var (healthyId, _) = await stage.SeedSubscriptionAsync(healthy);
        var events = await stage.SeedEventsAsync(10_000);
        var outboundSends = stage.Sent.To(stage.Queues.Outbound);
        var poisonSends = stage.Sent.To(stage.Queues.Outbound + "-poison");

        await stage.EnqueueManyAsync([.. events.Select(e => e.For(deadId))]);

        // Every message taken; the endpoint opened after 3 failures in a row, and the backlog waits in PostgreSQL.
        Assert.True(await TestQueues.EventuallyAsync(async () => !(await stage.StatusesAsync(deadId)).ContainsKey("queued"), Long));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await EndpointAsync(deadId)).GetProperty("state").GetString() == "open", Long));
        var beforeOpen = _receiver.To(dead).Count;
        Assert.InRange(beforeOpen, 3, 100);

        // While open: one probe per step of the schedule (1 s here), whatever the backlog.
        await Task.Delay(TimeSpan.FromSeconds(5));
        var probes = _receiver.To(dead).Count - beforeOpen;
        Assert.InRange(probes, 1, 7);
        Assert.Contains(await stage.AttemptsAsync(deadId), a => a.Probe && a.StatusCode == 500);

        // A healthy endpoint on the same resource gets all of its events meanwhile.
        var started = DateTimeOffset.UtcNow;
        await stage.EnqueueManyAsync([.. events.Take(200).Select(e => e.For(healthyId))]);
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(healthy).Count == 200), TimeSpan.FromSeconds(30)));
        Assert.True(_receiver.To(healthy).Max(p => p.At) - started < TimeSpan.FromSeconds(15));

        var endpoint = await EndpointAsync(deadId);
        Assert.Equal("open", endpoint.GetProperty("state").GetString());
        Assert.True(endpoint.TryGetProperty("nextProbeAt", out _));
        Assert.True(endpoint.TryGetProperty("failingSince", out _));
        Assert.Equal("HTTP 500", endpoint.GetProperty("lastError").GetString());
        Assert.InRange(endpoint.GetProperty("waitingDeliveries").GetInt64(), 9_990, 10_000);

        // The failing endpoint made the stage send nothing to a queue: its retries and backlog are rows, not messages.
        Assert.Equal(outboundSends, stage.Sent.To(stage.Queues.Outbound));
        Assert.Equal(poisonSends, stage.Sent.To(stage.Queues.Outbound + "-poison"));

        // Recovery: the next probe succeeds, the endpoint closes and its backlog drains; each event is accepted once.
        // The drain's speed is a benchmark's business (S7); here it has to finish without stalling, also on a loaded CI
        // machine (one drained at 25 deliveries/s, which took longer than what was left of the deliveries' span: none
        // may be given up meanwhile, since the endpoint is no longer open).
        Volatile.Write(ref alive, true);
        var drain = await DrainAsync(deadId, 10_000);
        Assert.True(drain.Done, $"the backlog did not drain: {drain.Statuses} after {drain.Elapsed}, with no progress for {drain.Stalled}");
        var accepted = _receiver.To(dead).Where(p => p.Status == 200).GroupBy(p => p.Headers["webhook-id"]).ToList();
        Assert.Equal(10_000, accepted.Count);
        Assert.All(accepted, g => Assert.Single(g));
        Assert.Equal(events.Select(e => $"{deadId}:{e.Seq}").Order(StringComparer.Ordinal), accepted.Select(g => g.Key).Order(StringComparer.Ordinal));
        endpoint = await EndpointAsync(deadId);
        Assert.Equal("healthy", endpoint.GetProperty("state").GetString());
        Assert.Equal(0, endpoint.GetProperty("waitingDeliveries").GetInt64());
        Assert.Equal(outboundSends, stage.Sent.To(stage.Queues.Outbound));
    }

    private void AssertHeldAtMostFourSlots(string hanging)
    {
        var most = _receiver.MostConcurrent(hanging, PushTimeout);
        Assert.True(most is >= 1 and <= 4, $"the hanging endpoint had {most} pushes open at once (the receiver counted {_receiver.MostConcurrent(hanging)} until it saw the caller give up)");
    }

    [Fact]
    public async Task HangingEndpoint_HoldsOnlyItsOwnSlots_WhileAHealthyOneInTheSameMessagesGetsEverything()
    {
        var hanging = _receiver.Endpoint(_ => new Reply(200, Delay: TimeSpan.FromSeconds(30)));
        var healthy = _receiver.Endpoint(200);
        var (hangingId, _) = await stage.SeedSubscriptionAsync(hanging);
        var (healthyId, _) = await stage.SeedSubscriptionAsync(healthy);
        var events = await stage.SeedEventsAsync(300);
        var outboundSends = stage.Sent.To(stage.Queues.Outbound);

        // The hanging endpoint's deliveries first in every message.
        var started = DateTimeOffset.UtcNow;
        await stage.EnqueueManyAsync([.. events.SelectMany(e => new[] { e.For(hangingId), e.For(healthyId) })]);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(healthy).Count == 300), TimeSpan.FromSeconds(30)));
        Assert.True(_receiver.To(healthy).Max(p => p.At) - started < TimeSpan.FromSeconds(10), $"the healthy endpoint's last push came {_receiver.To(healthy).Max(p => p.At) - started} after enqueueing");
        AssertHeldAtMostFourSlots(hanging);

        // Its pushes time out (3 s): failures, and after three in a row the endpoint is open.
        Assert.True(await TestQueues.EventuallyAsync(async () => (await EndpointAsync(hangingId)).GetProperty("state").GetString() == "open", TimeSpan.FromSeconds(30)));
        Assert.Equal("timeout", (await EndpointAsync(hangingId)).GetProperty("lastError").GetString());
        AssertHeldAtMostFourSlots(hanging);
        Assert.Equal(outboundSends, stage.Sent.To(stage.Queues.Outbound));
        Assert.Equal(300, _receiver.To(healthy).Select(p => p.Headers["webhook-id"]).Distinct().Count());
    }

    [Fact]
    public async Task OneConsumerWithManyHangingEndpoints_TakesAtMostItsShare_OthersAreServed()
    {
        // The fixture's share is 12 pushes per consumer; 20 hanging endpoints of one consumer, one delivery each.
        var hangs = Enumerable.Range(0, 20).Select(_ => _receiver.Endpoint(_ => new Reply(200, Delay: TimeSpan.FromSeconds(30)))).ToList();
        var healthy = _receiver.Endpoint(200);
        var hangIds = new List<Guid>();
        foreach (var h in hangs)
        {
            hangIds.Add((await stage.SeedSubscriptionAsync(h, consumer: "/org/hogger")).Id);
        }

        var (healthyId, _) = await stage.SeedSubscriptionAsync(healthy);
        var events = await stage.SeedEventsAsync(50);

        var started = DateTimeOffset.UtcNow;
        await stage.EnqueueManyAsync([.. hangIds.Select(id => events[0].For(id)), .. events.Select(e => e.For(healthyId))]);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(healthy).Count == 50), TimeSpan.FromSeconds(20)));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var hung = hangs.Sum(h => _receiver.To(h).Count(p => p.At - started < TimeSpan.FromSeconds(2.5)));
        Assert.InRange(hung, 1, 12);
    }

    [Fact]
    public async Task FlappingEndpoint_GetsEveryEventOnce()
    {
        var flapping = _receiver.Endpoint(n => new Reply(n % 2 == 0 ? 500 : 200));
        var (id, _) = await stage.SeedSubscriptionAsync(flapping);
        var events = await stage.SeedEventsAsync(100);

        await stage.EnqueueManyAsync([.. events.Select(e => e.For(id))]);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(id)).GetValueOrDefault("delivered") == 100, Long));
        var accepted = _receiver.To(flapping).Where(p => p.Status == 200).GroupBy(p => p.Headers["webhook-id"]).ToList();
        Assert.Equal(100, accepted.Count);
        Assert.All(accepted, g => Assert.Single(g));
    }

    [Fact]
    public async Task ClaimsOfACrashedInstance_AndQueuedDeliveriesWhoseMessageWasLost_ArePushedOnce()
    {
        var endpoint = _receiver.Endpoint(200);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        var events = await stage.SeedEventsAsync(40);
        var past = DateTimeOffset.UtcNow.AddMinutes(-3);

        // What kill -9 leaves mid-batch: claimed rows whose claim lapsed; and what a lost or purged message leaves: queued
        // rows past their grace with no message.
        foreach (var e in events.Take(20))
        {
            await stage.SeedDeliveryAsync(e.For(id), "pushing", attempts: 0, due: past, claim: Guid.NewGuid());
        }

        foreach (var e in events.Skip(20))
        {
            await stage.SeedDeliveryAsync(e.For(id), "queued", attempts: 0, due: past);
        }

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(id)).GetValueOrDefault("delivered") == 40, OutboundFixture.Patience));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(40, _receiver.To(endpoint).Count);
        Assert.Equal(40, _receiver.To(endpoint).Select(p => p.Headers["webhook-id"]).Distinct().Count());
    }

    [Fact]
    public async Task CopiesOfOneMessageAtOnce_PushEachDeliveryOnce()
    {
        var slow = _receiver.Endpoint(_ => new Reply(200, Delay: TimeSpan.FromMilliseconds(500)));
        var (id, _) = await stage.SeedSubscriptionAsync(slow);
        var events = await stage.SeedEventsAsync(4);
        var deliveries = events.Select(e => e.For(id)).ToArray();

        await stage.EnqueueManyAsync(deliveries);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => stage.SendAsync(deliveries)));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(id)).GetValueOrDefault("delivered") == 4, OutboundFixture.Patience));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.Queues.PeekAsync(stage.Queues.Outbound)).Length == 0, OutboundFixture.Patience));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(4, _receiver.To(slow).Count);
    }

    [Fact]
    public async Task ParkedDeliveriesOfAConsumerWhoLostTheRight_AreSkipped_NotPushed_WhenTheBacklogDrains()
    {
        // User 1339 holds no role for party 50001: as if the right was withdrawn while the deliveries waited.
        var endpoint = _receiver.Endpoint(200);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint, consumer: "/user/1339");
        var events = await stage.SeedEventsAsync(5, subject: "/party/50001");
        foreach (var e in events)
        {
            await stage.SeedDeliveryAsync(e.For(id), "parked", attempts: 1, due: DateTimeOffset.UtcNow.AddMinutes(5), firstFailedAt: DateTimeOffset.UtcNow);
        }

        await MarkBacklogAsync(id);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(id)).GetValueOrDefault("skipped") == 5, OutboundFixture.Patience));
        Assert.Contains("may no longer read", (await stage.DeliveryAsync(id, events[0].Seq)).Reason);
        Assert.Empty(_receiver.To(endpoint));
    }

    [Fact]
    public async Task ParkedDeliveryPastTheSchedulesSpan_OnAnOpenEndpoint_IsGivenUp_WithItsHistoryOnThePoisonQueueAndInTheLog()
    {
        var endpoint = _receiver.Endpoint(500);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());
        await SetEndpointAsync(id, "open");
        await stage.SeedDeliveryAsync(e.For(id), "parked", attempts: 2, due: DateTimeOffset.UtcNow.AddSeconds(-1), firstFailedAt: DateTimeOffset.UtcNow.AddMinutes(-6));

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(id, e.Seq)).Status == "failed", OutboundFixture.Patience));
        Assert.Contains("Gave up", (await stage.DeliveryAsync(id, e.Seq)).Reason, StringComparison.Ordinal);
        Assert.Contains(await stage.AttemptsAsync(id), a => a.Outcome == "gaveup");
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.PoisonedAsync()).Any(p => p.SubscriptionId == id && p.Seq == e.Seq), OutboundFixture.Patience));
        Assert.Empty(_receiver.To(endpoint));

        using var client = stage.Client(TestTokens.ForOrg("ttd"));
        var log = await client.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{id}/deliveries");
        Assert.Contains(log.GetProperty("attempts").EnumerateArray(), a => a.GetProperty("outcome").GetString() == "gaveup" && !a.GetProperty("probe").GetBoolean());
    }

    [Fact]
    public async Task ParkedDeliveriesPastTheSchedulesSpan_WhoseEndpointRecovered_AreDrainedOnce_NotGivenUp()
    {
        // What a slow drain of a large backlog meets: the endpoint is healthy again, the drain that ran before these were
        // found has finished (no backlog is marked), and the span of the deliveries still parked has passed meanwhile.
        var endpoint = _receiver.Endpoint(200);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        var events = await stage.SeedEventsAsync(30);
        await SetEndpointAsync(id, "healthy");
        foreach (var e in events)
        {
            await stage.SeedDeliveryAsync(e.For(id), "parked", attempts: 0, due: DateTimeOffset.UtcNow.AddSeconds(-1), firstFailedAt: DateTimeOffset.UtcNow.AddMinutes(-6));
        }

        Assert.True(
            await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(id)).GetValueOrDefault("delivered") == 30, OutboundFixture.Patience),
            $"not drained: {string.Join(", ", (await stage.StatusesAsync(id)).Select(s => $"{s.Value} {s.Key}"))}");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(30, _receiver.To(endpoint).Select(p => p.Headers["webhook-id"]).Distinct().Count());
        Assert.Equal(30, _receiver.To(endpoint).Count);
        Assert.DoesNotContain(await stage.AttemptsAsync(id), a => a.Outcome == "gaveup");
        Assert.DoesNotContain(await stage.PoisonedAsync(), p => p.SubscriptionId == id);
    }

    /// <summary>Waits while the subscription's deliveries keep reaching <c>delivered</c>, until <paramref name="count"/> have, or none did for a minute.</summary>
    private async Task<(bool Done, string Statuses, TimeSpan Elapsed, TimeSpan Stalled)> DrainAsync(Guid subscriptionId, int count)
    {
        var started = DateTimeOffset.UtcNow;
        var progressed = started;
        var delivered = 0;
        IReadOnlyDictionary<string, int> statuses;
        while (true)
        {
            statuses = await stage.StatusesAsync(subscriptionId);
            var now = DateTimeOffset.UtcNow;
            var seen = statuses.GetValueOrDefault("delivered");
            if (seen == count)
            {
                return (true, "", now - started, TimeSpan.Zero);
            }

            if (seen > delivered)
            {
                (delivered, progressed) = (seen, now);
            }
            else if (now - progressed > TimeSpan.FromMinutes(1) || now - started > TimeSpan.FromMinutes(20))
            {
                return (false, string.Join(", ", statuses.Select(s => $"{s.Value} {s.Key}")), now - started, now - progressed);
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }

    private async Task SetEndpointAsync(Guid subscriptionId, string state)
    {
        // No backlog is marked (a drain saw the last version); an open endpoint's next probe is far off.
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO endpoints (id, end_point, state, opened_at, next_probe_at, backlog_version, drained_version, updated)
            SELECT endpoint_id, end_point, @state, CASE WHEN @state = 'open' THEN now() END, CASE WHEN @state = 'open' THEN now() + interval '1 hour' END,
                   1, 1, now()
            FROM subscriptions WHERE id = @subscriptionId
            """,
            new { subscriptionId, state });
    }

    private async Task<JsonElement> EndpointAsync(Guid subscriptionId)
    {
        using var client = stage.Client(TestTokens.ForOrg("ttd"));
        var subscription = await client.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{subscriptionId}");
        return subscription.GetProperty("endpointHealth");
    }

    private async Task MarkBacklogAsync(Guid subscriptionId)
    {
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO endpoints (id, end_point, backlog_version, updated)
            SELECT endpoint_id, end_point, 1, now() FROM subscriptions WHERE id = @subscriptionId
            ON CONFLICT (id) DO UPDATE SET backlog_version = endpoints.backlog_version + 1
            """,
            new { subscriptionId });
    }
}
