using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>The delivery log and redelivery endpoints, over HTTP, with the outbound stage pushing to a real receiver.</summary>
public sealed class DeliveryApiTests(OutboundFixture stage) : IClassFixture<OutboundFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task DeliveryLog_ShowsEveryAttemptNewestFirst_PagedWithACursor()
    {
        var endpoint = _receiver.Endpoint(500, 200);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        var first = await stage.SeedEventAsync(EventBuilder.Generic());
        var second = await stage.SeedEventAsync(EventBuilder.Generic());
        await stage.EnqueueAsync(first.For(id));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(id, first.Seq)).Status == "delivered", OutboundFixture.Patience));
        await stage.EnqueueAsync(second.For(id));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(id, second.Seq)).Status == "delivered", OutboundFixture.Patience));
        using var client = stage.Client(TestTokens.ForOrg("ttd"));

        var page1 = await client.GetAsync($"{SubscriptionBuilder.Path}/{id}/deliveries?size=2");
        Assert.Equal(HttpStatusCode.OK, page1.StatusCode);
        var body1 = await page1.Content.ReadFromJsonAsync<JsonElement>();
        var attempts1 = body1.GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(2, attempts1.Count);
        Assert.Equal(second.Id, attempts1[0].GetProperty("eventId").GetString());
        Assert.Equal("delivered", attempts1[0].GetProperty("outcome").GetString());
        Assert.False(attempts1[0].TryGetProperty("error", out _), "a delivered attempt has no error");
        Assert.Equal(first.Id, attempts1[1].GetProperty("eventId").GetString());
        Assert.Equal(2, attempts1[1].GetProperty("attempt").GetInt32());
        var next = page1.Headers.GetValues("next").Single();
        Assert.Equal(next, body1.GetProperty("next").GetString());

        var body2 = await client.GetFromJsonAsync<JsonElement>(next);
        var older = Assert.Single(body2.GetProperty("attempts").EnumerateArray());
        Assert.Equal(first.Id, older.GetProperty("eventId").GetString());
        Assert.Equal(1, older.GetProperty("attempt").GetInt32());
        Assert.Equal("retry", older.GetProperty("outcome").GetString());
        Assert.Equal(500, older.GetProperty("statusCode").GetInt32());
        Assert.Equal("HTTP 500", older.GetProperty("error").GetString());
        Assert.False(body2.TryGetProperty("next", out _));
    }

    [Fact]
    public async Task DeliveryLog_OfAnotherConsumersSubscription_Is403_UnknownIs404_BadCursorIs400()
    {
        var (id, _) = await stage.SeedSubscriptionAsync(_receiver.Endpoint(200));
        using var other = stage.Client(TestTokens.ForOrg("skd"));
        using var owner = stage.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"{SubscriptionBuilder.Path}/{id}/deliveries")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"{SubscriptionBuilder.Path}/{Guid.NewGuid()}/deliveries")).StatusCode);
        var bad = await owner.GetAsync($"{SubscriptionBuilder.Path}/{id}/deliveries?cursor=nonsense");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.True((await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("cursor", out _));
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync($"{SubscriptionBuilder.Path}/{id}/deliveries")).StatusCode);
    }

    [Fact]
    public async Task Redeliver_After_PushesTheLaterMatchingEventsAgain_AndFrom_PushesFromThatTime()
    {
        var endpoint = _receiver.Endpoint(200);
        var type = "redelivery." + Guid.NewGuid().ToString("N");
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint, typeFilter: type);
        var events = new List<SeededEvent>();
        for (var i = 0; i < 3; i++)
        {
            events.Add(await stage.SeedEventAsync(EventBuilder.Generic().With("type", type)));
        }

        await stage.SeedEventAsync(EventBuilder.Generic().With("type", "other.type"));
        await stage.EnqueueAsync([.. events.Select(e => e.For(id))]);
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 3), OutboundFixture.Patience));
        using var client = stage.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { after = events[0].Id });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, body.GetProperty("queued").GetInt32());
        Assert.True(body.GetProperty("complete").GetBoolean());
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 5), OutboundFixture.Patience));
        Assert.Equal(
            new[] { events[1].CloudEvent, events[2].CloudEvent }.Order(StringComparer.Ordinal),
            _receiver.To(endpoint).Skip(3).Select(p => p.Body).Order(StringComparer.Ordinal));

        var from = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { from = events[0].Registered.AddMilliseconds(-1).ToString("O") });
        Assert.Equal(HttpStatusCode.Accepted, from.StatusCode);
        Assert.Equal(3, (await from.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queued").GetInt32());
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 8), OutboundFixture.Patience));
    }

    [Fact]
    public async Task Redeliver_AfterAnIdTwoSourcesShare_PushesEveryEventAfterTheFirstOfThem()
    {
        var endpoint = _receiver.Endpoint(200);
        var type = "redelivery." + Guid.NewGuid().ToString("N");
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint, typeFilter: type);
        using var client = stage.Client(TestTokens.ForOrg("ttd"));
        var dup = "dup-" + Guid.NewGuid().ToString("N");
        var later = new List<string>();
        await PublishAsync(client, EventBuilder.Generic().With("id", dup).With("source", "urn:a:1").With("type", type));
        for (var i = 0; i < 5; i++)
        {
            later.Add(await PublishAsync(client, EventBuilder.Generic().With("type", type)));
        }

        later.Add(await PublishAsync(client, EventBuilder.Generic().With("id", dup).With("source", "urn:a:2").With("type", type)));

        var response = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { after = dup });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(6, body.GetProperty("queued").GetInt32());
        Assert.True(body.GetProperty("complete").GetBoolean());
        Assert.False(body.TryGetProperty("cursor", out _));
        Assert.Equal(dup, body.GetProperty("lastEventId").GetString());
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 6), OutboundFixture.Patience));
        Assert.Equal(later.Order(StringComparer.Ordinal), _receiver.To(endpoint).Select(p => JsonDocument.Parse(p.Body).RootElement.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Redeliver_AfterTheIdOfAnEventTheConsumerMayNotSee_IsAnsweredAsAnIdNotStored()
    {
        // User 1339 (party 50004) may not see events about party 50001.
        var (id, _) = await stage.SeedSubscriptionAsync(_receiver.Endpoint(200), consumer: "/user/1339");
        var hidden = await stage.SeedEventAsync(EventBuilder.Generic().With("subject", "/party/50001"));
        using var client = stage.Client(TestTokens.ForUser(1339, 50004));
        var unknown = Guid.NewGuid().ToString();

        var afterHidden = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { after = hidden.Id });
        var afterUnknown = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { after = unknown });

        Assert.Equal(HttpStatusCode.BadRequest, afterHidden.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, afterUnknown.StatusCode);
        Assert.Equal(
            (await afterUnknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("after")[0].GetString()!.Replace(unknown, "{id}", StringComparison.Ordinal),
            (await afterHidden.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("after")[0].GetString()!.Replace(hidden.Id, "{id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redelivery_IsANewDelivery_WithAWebhookIdOfItsOwn_WhileItsRetriesKeepIt()
    {
        // The first delivery and the first redelivery succeed; the second redelivery fails once and is retried.
        var endpoint = _receiver.Endpoint(n => new Reply(n == 2 ? 500 : 200));
        var type = "redelivery." + Guid.NewGuid().ToString("N");
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint, typeFilter: type);
        var e = await stage.SeedEventAsync(EventBuilder.Generic().With("type", type));
        await stage.EnqueueAsync(e.For(id));
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 1), OutboundFixture.Patience));
        using var client = stage.Client(TestTokens.ForOrg("ttd"));
        var from = e.Registered.AddMilliseconds(-1).ToString("O");

        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { from })).StatusCode);
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 2), OutboundFixture.Patience));
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { from })).StatusCode);
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 4), OutboundFixture.Patience));

        var ids = _receiver.To(endpoint).Select(p => p.Headers["webhook-id"]).ToList();
        Assert.Equal([$"{id}:{e.Seq}", $"{id}:{e.Seq}:1", $"{id}:{e.Seq}:2", $"{id}:{e.Seq}:2"], ids);
        Assert.Equal([200, 200, 500, 200], _receiver.To(endpoint).Select(p => p.Status));
    }

    [Fact]
    public async Task Redeliver_SkipsEventsTheConsumerMayNoLongerSee()
    {
        // User 1339 (party 50004) may subscribe to events about itself, not about party 50001.
        var endpoint = _receiver.Endpoint(200);
        var type = "redelivery." + Guid.NewGuid().ToString("N");
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint, consumer: "/user/1339", typeFilter: type);
        var own = await stage.SeedEventAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50004"));
        await stage.SeedEventAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50001"));
        using var client = stage.Client(TestTokens.ForUser(1339, 50004));

        var response = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { from = own.Registered.AddSeconds(-1).ToString("O") });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("queued").GetInt32());
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count == 1), OutboundFixture.Patience));
        Assert.Equal(own.CloudEvent, _receiver.To(endpoint)[0].Body);
    }

    [Theory]
    [InlineData("{}", "after")]
    [InlineData("""{"after":"x","from":"2024-01-01T00:00:00Z"}""", "after")]
    [InlineData("""{"from":"2024-01-01T00:00:00"}""", "from")]
    [InlineData("""{"from":"yesterday"}""", "from")]
    [InlineData("""{"after":"no-such-event"}""", "after")]
    [InlineData("""{"after":12}""", "after")]
    [InlineData("""{"cursor":"nonsense"}""", "cursor")]
    [InlineData("""{"after":"x","cursor":"AQAAAAAAAAAAAAAAAAAAAAA"}""", "after")]
    public async Task Redeliver_WithBadInput_Is400NamingTheField(string json, string field)
    {
        var (id, _) = await stage.SeedSubscriptionAsync(_receiver.Endpoint(200));
        using var client = stage.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Redeliver_OfAnotherConsumersSubscription_Is403_UnknownIs404()
    {
        var (id, _) = await stage.SeedSubscriptionAsync(_receiver.Endpoint(200));
        using var other = stage.Client(TestTokens.ForOrg("skd"));
        using var owner = stage.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal(HttpStatusCode.Forbidden, (await other.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { from = "2024-01-01T00:00:00Z" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{Guid.NewGuid()}/redeliver", new { from = "2024-01-01T00:00:00Z" })).StatusCode);
    }

    private static async Task<string> PublishAsync(HttpClient client, EventBuilder e)
    {
        var response = await client.PostAsync("/events/api/v1/events", new StringContent(e.Json(), System.Text.Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return e.Id;
    }
}
