using System.Net;
using System.Text;
using Altinn.Events.Client;
using Altinn.Events.IntegrationTests.Infrastructure;
using CloudNative.CloudEvents;

namespace Altinn.Events.IntegrationTests.Client;

/// <summary>
/// The CloudEvents protocol through the client library, end to end on the real API, stage host and a Kestrel receiver with
/// <c>MapEventsWebhook</c>: binary-mode publishing of data that is not JSON, subscriptions with type lists, filter
/// expressions and binary pushes, and updating, pausing and resuming a subscription.
/// </summary>
public sealed class ClientProtocolTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    private static readonly TimeSpan Patience = ClientFixture.Patience;

    private static string UniqueType() => ClientEvents.UniqueType("client.protocol.");

    private static CloudEvent Generic(string type, string source = "https://tests.example/client/protocol") => ClientEvents.Generic(type, source, new { type });

    private async Task<List<CloudEvent>> PolledAsync(AltinnEventsClient client, string type)
    {
        var events = new List<CloudEvent>();
        await foreach (var e in client.PollAsync(EventQuery.Events(EventBuilder.TestResource) with { Types = [type] }, new PollOptions { StopWhenCaughtUp = true }))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>A subscription created through the client, validated, whose secret the receiver knows.</summary>
    private async Task<(Subscription Subscription, string Path)> SubscribeAsync(AltinnEventsClient client, SubscriptionRequest request)
    {
        var created = await client.CreateSubscriptionAsync(request);
        fixture.Receiver.Secrets.Add(created.Secret!);
        Assert.True(await TestQueues.EventuallyAsync(async () => (await client.GetSubscriptionAsync(created.Id))!.Validated, Patience), "the subscription was not validated");
        return (created, new Uri(request.EndPoint.AbsoluteUri).AbsolutePath);
    }

    private Task<bool> HandledAsync(string path, int count) =>
        TestQueues.EventuallyAsync(() => Task.FromResult(fixture.Receiver.HandledAt(path).Count >= count), Patience);

    [Fact]
    public async Task PublishBinary_DataThatIsNotJson_IsPolledBackWithItsContentTypeAndBytes_AndExtensionsFromCeHeaders()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var text = new CloudEvent(AltinnCloudEvents.Extensions)
        {
            Id = Guid.NewGuid().ToString(),
            Source = new Uri("https://tests.example/client/binary"),
            Type = type,
            Subject = "/party/50001",
            DataContentType = "text/plain; charset=utf-8",
            Data = "Grüß Gott, blåbærsyltetøy: 100 % \"quoted\"",
        }.SetResource(EventBuilder.TestResource).SetAlternativeSubject("/organisation/991825827");
        var bytes = new CloudEvent(AltinnCloudEvents.Extensions)
        {
            Id = Guid.NewGuid().ToString(),
            Source = new Uri("https://tests.example/client/binary"),
            Type = type,
            DataContentType = "application/octet-stream",
            Data = (byte[])[0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0xfe, 0x0a, 0x0d],
        }.SetResource(EventBuilder.TestResource);

        await client.PublishAsync(text, ContentMode.Binary);
        await client.PublishAsync(bytes, ContentMode.Binary);
        // The same event again in binary mode is the same event: answered as a success, nothing stored twice.
        await client.PublishAsync(text, ContentMode.Binary);

        var polled = await PolledAsync(client, type);
        Assert.Equal([text.Id, bytes.Id], polled.Select(e => e.Id));
        Assert.Equal(("text/plain; charset=utf-8", (object?)text.Data), (polled[0].DataContentType, polled[0].Data));
        Assert.Equal("/organisation/991825827", polled[0][AltinnCloudEvents.AlternativeSubject]);
        Assert.Equal(EventBuilder.TestResource, polled[0].GetResource());
        Assert.Equal("application/octet-stream", polled[1].DataContentType);
        Assert.Equal((byte[])bytes.Data!, Assert.IsType<byte[]>(polled[1].Data));
    }

    [Fact]
    public async Task BinaryPushSubscription_WithATypeListAndFilters_HandsOnlyMatchingEvents_ToMapEventsWebhook()
    {
        var client = fixture.Client(ClientFixture.Org());
        var exact = UniqueType();
        var family = UniqueType();
        var (endpoint, _) = fixture.Receiver.NewEndpoint();
        var (subscription, path) = await SubscribeAsync(client, new SubscriptionRequest
        {
            EndPoint = endpoint,
            ResourceFilter = EventBuilder.TestResource,
            TypeFilters = [exact, family + ".*"],
            Filters = SubscriptionFilters.List(SubscriptionFilters.Not(SubscriptionFilters.Suffix("source", "/skip"))),
            ContentMode = PushContentModes.Binary,
        });
        Assert.Equal(new[] { exact, family + ".*" }.Order(), subscription.TypeFilters!.Order());
        Assert.Null(subscription.TypeFilter);
        Assert.Equal(PushContentModes.Binary, subscription.ContentMode);
        Assert.Equal("""[{"not":{"suffix":{"source":"/skip"}}}]""", subscription.Filters!.ToJsonString());
        var listed = Assert.Single(await client.ListSubscriptionsAsync(), s => s.Id == subscription.Id);
        Assert.Equal(subscription.TypeFilters, listed.TypeFilters);

        var wanted = new[] { Generic(exact), Generic(family + ".created"), Generic(family + ".deleted.late") };
        var unwanted = new[] { Generic(exact, "https://tests.example/client/skip"), Generic(family), Generic(exact + "x") };
        foreach (var e in unwanted.Concat(wanted))
        {
            await client.PublishAsync(e);
        }

        Assert.True(await HandledAsync(path, wanted.Length), "the matching events were not pushed");
        // Every event published before the last wanted one has been matched by now (the stages keep the order of the
        // store within one subscription's deliveries); give stragglers a moment anyway.
        await Task.Delay(TimeSpan.FromSeconds(1));
        var handled = fixture.Receiver.HandledAt(path);
        Assert.Equal(wanted.Select(e => e.Id).Order(), handled.Select(e => e.Id).Order());
        Assert.All(handled, e => Assert.Equal(EventBuilder.TestResource, e.GetResource()));
        Assert.Equal(wanted.Select(e => e.Type), handled.OrderBy(e => Array.FindIndex(wanted, w => w.Id == e.Id)).Select(e => e.Type));

        // Binary mode on the wire: attributes in ce- headers, the data alone as the body.
        var pushes = fixture.Receiver.RequestsTo(path).Where(r => r.Status == 200 && r.Headers.ContainsKey("ce-id")).ToList();
        Assert.Equal(wanted.Length, pushes.Count);
        Assert.All(pushes, p =>
        {
            Assert.Equal("1.0", p.Headers["ce-specversion"]);
            Assert.StartsWith("application/json", p.Headers["Content-Type"], StringComparison.Ordinal);
            Assert.Contains("\"type\"", Encoding.UTF8.GetString(p.Body), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task UpdatePauseResume_ThroughTheClient_DeliveriesWaitWhilePaused_ThenFlow_AndFiltersChange()
    {
        var client = fixture.Client(ClientFixture.Org());
        var first = UniqueType();
        var second = UniqueType();
        var (endpoint, _) = fixture.Receiver.NewEndpoint();
        var (subscription, path) = await SubscribeAsync(client, new SubscriptionRequest { EndPoint = endpoint, ResourceFilter = EventBuilder.TestResource, TypeFilter = first });

        var paused = await client.PauseSubscriptionAsync(subscription.Id);
        Assert.False(paused.Enabled);
        var waiting = Enumerable.Range(0, 5).Select(_ => Generic(first)).ToArray();
        foreach (var e in waiting)
        {
            await client.PublishAsync(e);
        }

        // Matched and waiting: nothing reaches the receiver while paused.
        Assert.True(await TestQueues.EventuallyAsync(
            async () => (await client.GetSubscriptionAsync(subscription.Id))!.EndpointHealth?.WaitingDeliveries >= waiting.Length, Patience), "the deliveries did not wait");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(fixture.Receiver.HandledAt(path));

        var resumed = await client.ResumeSubscriptionAsync(subscription.Id);
        Assert.True(resumed.Enabled);
        Assert.True(await HandledAsync(path, waiting.Length), "the waiting deliveries were not pushed after resuming");
        // Taken oldest first; up to four pushes to one endpoint run at once, so they may arrive a little out of order.
        Assert.Equal(waiting.Select(e => e.Id).Order(), fixture.Receiver.HandledAt(path).Select(e => e.Id).Order());

        // A new type filter: events of the old type are no longer pushed, events of the new one are.
        var changed = await client.UpdateSubscriptionAsync(subscription.Id, new SubscriptionUpdate { TypeFilters = [second] });
        Assert.Equal([second], changed.TypeFilters);
        var old = Generic(first);
        var now = Generic(second);
        await client.PublishAsync(old);
        await client.PublishAsync(now);
        Assert.True(await HandledAsync(path, waiting.Length + 1), "the event of the new type was not pushed");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(now.Id, fixture.Receiver.HandledAt(path).Skip(waiting.Length).Single().Id);

        // Cleared: every type.
        var cleared = await client.UpdateSubscriptionAsync(subscription.Id, new SubscriptionUpdate { ClearTypeFilters = true });
        Assert.Null(cleared.TypeFilters);
        Assert.Null((await client.GetSubscriptionAsync(subscription.Id))!.TypeFilters);
    }

    [Fact]
    public async Task Update_ABadValue_IsAnAltinnEventsException_NamingTheField_AndAnotherConsumersSubscription_Is403()
    {
        var client = fixture.Client(ClientFixture.Org());
        var (endpoint, _) = fixture.Receiver.NewEndpoint();
        var created = await client.CreateSubscriptionAsync(new SubscriptionRequest { EndPoint = endpoint, ResourceFilter = EventBuilder.TestResource, TypeFilter = UniqueType() });

        var bad = await Assert.ThrowsAsync<AltinnEventsException>(() => client.UpdateSubscriptionAsync(created.Id, new SubscriptionUpdate { ContentMode = "smoke-signals" }));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("contentMode", bad.Errors.Keys);
        Assert.Equal(PushContentModes.Structured, (await client.GetSubscriptionAsync(created.Id))!.ContentMode);

        var other = fixture.Client(ClientFixture.Org("skd"));
        var foreign = await Assert.ThrowsAsync<AltinnEventsException>(() => other.PauseSubscriptionAsync(created.Id));
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
        Assert.True((await client.GetSubscriptionAsync(created.Id))!.Enabled);

        Assert.Throws<ArgumentException>(() => client.UpdateSubscriptionAsync(created.Id, new SubscriptionUpdate()).GetAwaiter().GetResult());
    }
}
