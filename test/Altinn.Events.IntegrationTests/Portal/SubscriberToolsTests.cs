using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Outbound;
using Altinn.Events.IntegrationTests.Subscriptions;
using Dapper;

namespace Altinn.Events.IntegrationTests.Portal;

/// <summary>The test event and the hourly delivery counts, over HTTP, with the outbound stage pushing to a real receiver.</summary>
public sealed class SubscriberToolsTests(OutboundFixture stage) : IClassFixture<OutboundFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task TestEvent_IsPushedSignedToTheOwnersEndpoint_AndLoggedAsDelivered()
    {
        var endpoint = _receiver.Endpoint(200);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        using var owner = stage.Client(TestTokens.ForOrg("ttd"));

        var response = await owner.PostAsync($"{SubscriptionBuilder.Path}/{id}/test-event", null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var eventId = body.GetProperty("eventId").GetString()!;
        Assert.Equal("platform.events.test", body.GetProperty("type").GetString());
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(endpoint).Count > 0), OutboundFixture.Patience), "the test event was not pushed");
        var push = Assert.Single(_receiver.To(endpoint));
        var pushed = JsonDocument.Parse(push.Body).RootElement;
        Assert.Equal(eventId, pushed.GetProperty("id").GetString());
        Assert.Equal("platform.events.test", pushed.GetProperty("type").GetString());
        Assert.Equal("urn:altinn:resource:altinn-events-test", pushed.GetProperty("resource").GetString());
        Assert.Equal(id.ToString(), pushed.GetProperty("data").GetProperty("subscriptionId").GetString());
        Assert.True(push.Headers.ContainsKey("webhook-signature"), "the test event is signed like any push");

        JsonElement? logged = null;
        Assert.True(await TestQueues.EventuallyAsync(
            async () =>
            {
                var log = await owner.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{id}/deliveries");
                logged = log.GetProperty("attempts").EnumerateArray().FirstOrDefault(a => a.GetProperty("eventId").GetString() == eventId);
                return logged is { ValueKind: JsonValueKind.Object };
            },
            OutboundFixture.Patience));
        Assert.Equal("delivered", logged!.Value.GetProperty("outcome").GetString());
        Assert.Equal(200, logged.Value.GetProperty("statusCode").GetInt32());

        // Only this subscription: no outbox row, so the inbound stage never matches it to anyone else.
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM outbox o JOIN events e USING (seq, registered) WHERE e.id = @eventId", new { eventId }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE e.id = @eventId", new { eventId }));
    }

    [Fact]
    public async Task TestEvent_OfAnotherConsumersSubscription_Is403_Unknown404_NotValidated409()
    {
        var (id, _) = await stage.SeedSubscriptionAsync(_receiver.Endpoint(200));
        using var other = stage.Client(TestTokens.ForOrg("skd"));
        using var owner = stage.Client(TestTokens.ForOrg("ttd"));

        var forbidden = await other.PostAsync($"{SubscriptionBuilder.Path}/{id}/test-event", null);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("application/problem+json", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await owner.PostAsync($"{SubscriptionBuilder.Path}/{Guid.NewGuid()}/test-event", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await stage.Client().PostAsync($"{SubscriptionBuilder.Path}/{id}/test-event", null)).StatusCode);

        await using (var connection = await stage.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE subscriptions SET validation_status = 'pending' WHERE id = @id", new { id });
        }

        var conflict = await owner.PostAsync($"{SubscriptionBuilder.Path}/{id}/test-event", null);
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Contains("pending", (await conflict.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(_receiver.Received, p => p.Body.Contains("platform.events.test", StringComparison.Ordinal) && p.Body.Contains(id.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hourly_CountsAttemptsPerHourByOutcome_ForTheOwnerOnly()
    {
        var endpoint = _receiver.Endpoint(500, 200);
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());
        await stage.EnqueueAsync(e.For(id));
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(id, e.Seq)).Status == "delivered", OutboundFixture.Patience));
        using var owner = stage.Client(TestTokens.ForOrg("ttd"));

        var stats = await owner.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{id}/deliveries/hourly?hours=3");

        Assert.Equal(3, stats.GetProperty("hours").GetInt32());
        var buckets = stats.GetProperty("buckets").EnumerateArray().ToList();
        Assert.Equal(3, buckets.Count);
        var hours = buckets.Select(b => b.GetProperty("hour").GetDateTimeOffset()).ToList();
        Assert.Equal(TimeSpan.FromHours(1), hours[1] - hours[0]);
        Assert.True(hours[2] <= DateTimeOffset.UtcNow && DateTimeOffset.UtcNow < hours[2].AddHours(1), "the last bucket is the current hour");
        Assert.Equal(1, buckets.Sum(b => b.GetProperty("delivered").GetInt32()));
        Assert.Equal(1, buckets.Sum(b => b.GetProperty("retry").GetInt32()));
        Assert.Equal(0, buckets.Sum(b => b.GetProperty("failed").GetInt32() + b.GetProperty("gone").GetInt32() + b.GetProperty("gaveUp").GetInt32()));

        var invalid = await owner.GetAsync($"{SubscriptionBuilder.Path}/{id}/deliveries/hourly?hours=0");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.True((await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("hours", out _));
        using var other = stage.Client(TestTokens.ForOrg("skd"));
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"{SubscriptionBuilder.Path}/{id}/deliveries/hourly")).StatusCode);
    }
}
