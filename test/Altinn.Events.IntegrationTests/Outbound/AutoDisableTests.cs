using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>An endpoint failing for Outbound:DisableAfter (2 s here) is disabled; re-validation enables it again.</summary>
public sealed class AutoDisableTests(QuickDisableOutboundFixture stage) : IClassFixture<QuickDisableOutboundFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task EndpointFailingForThePeriod_IsDisabledWithTheReason_AndRevalidationEnablesIt()
    {
        var healthy = false;
        var endpoint = _receiver.Endpoint(_ => new Reply(Volatile.Read(ref healthy) ? 200 : 500));
        var (id, _) = await stage.SeedSubscriptionAsync(endpoint);
        var e = await stage.SeedEventAsync(EventBuilder.Generic());
        using var client = stage.Client(TestTokens.ForOrg("ttd"));

        await stage.EnqueueAsync(e.For(id));

        JsonElement subscription = default;
        Assert.True(await TestQueues.EventuallyAsync(
            async () =>
            {
                subscription = await client.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{id}");
                return subscription.GetProperty("validationStatus").GetString() == "failed";
            },
            OutboundFixture.Patience));
        Assert.Contains("every push since", subscription.GetProperty("disabledReason").GetString(), StringComparison.Ordinal);
        Assert.True(subscription.TryGetProperty("disabledAt", out _));
        Assert.Contains("HTTP 500", subscription.GetProperty("lastValidationError").GetString(), StringComparison.Ordinal);

        // Disabled: the pending retry is skipped, nothing more reaches the endpoint.
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(id, e.Seq)).Status == "skipped", OutboundFixture.Patience));
        var calls = _receiver.To(endpoint).Count;
        Assert.InRange(calls, 3, 5);

        // The endpoint recovers; the consumer validates again, which enables the subscription.
        Volatile.Write(ref healthy, true);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"{SubscriptionBuilder.Path}/{id}/validate", null)).StatusCode);
        Assert.True(await TestQueues.EventuallyAsync(
            async () =>
            {
                subscription = await client.GetFromJsonAsync<JsonElement>($"{SubscriptionBuilder.Path}/{id}");
                return subscription.GetProperty("validationStatus").GetString() == "validated";
            },
            OutboundFixture.Patience));
        Assert.False(subscription.TryGetProperty("disabledAt", out _));
        Assert.False(subscription.TryGetProperty("disabledReason", out _));

        // Enabled again: a redelivery pushes the event.
        var redeliver = await client.PostAsJsonAsync($"{SubscriptionBuilder.Path}/{id}/redeliver", new { from = e.Registered.AddSeconds(-1).ToString("O") });
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.DeliveryAsync(id, e.Seq)).Status == "delivered", OutboundFixture.Patience));
    }
}
