using System.Text;
using Altinn.Events.Client;
using Altinn.Events.IntegrationTests.Infrastructure;
using CloudNative.CloudEvents;

namespace Altinn.Events.IntegrationTests.Client;

/// <summary>
/// Subscriptions through the client and pushes from the real stage host into <c>MapEventsWebhook</c> on Kestrel:
/// the whole lifecycle, signatures checked for real, and each delivery handed to the application once.
/// </summary>
public sealed class ClientSubscriptionTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    private static readonly TimeSpan Patience = ClientFixture.Patience;

    private static CloudEvent Generic(string type) => ClientEvents.Generic(type, "https://tests.example/client");

    private static string UniqueType() => ClientEvents.UniqueType("client.push.");

    /// <summary>A validated subscription of ttd to <paramref name="type"/>, pushing to a fresh path whose secret the receiver knows.</summary>
    private async Task<(Subscription Subscription, string Path)> SubscribeAsync(AltinnEventsClient client, string type)
    {
        var (endpoint, path) = fixture.Receiver.NewEndpoint();
        var created = await client.CreateSubscriptionAsync(new SubscriptionRequest { EndPoint = endpoint, ResourceFilter = EventBuilder.TestResource, TypeFilter = type });
        Assert.StartsWith("whsec_", created.Secret);
        fixture.Receiver.Secrets.Add(created.Secret!);
        Assert.True(await TestQueues.EventuallyAsync(async () => (await client.GetSubscriptionAsync(created.Id))!.Validated, Patience), "the subscription was not validated");
        return (created, path);
    }

    private Task<bool> HandledAsync(string path, int count) =>
        TestQueues.EventuallyAsync(() => Task.FromResult(fixture.Receiver.HandledAt(path).Count >= count), Patience);

    [Fact]
    public async Task Lifecycle_CreateGetListValidateRotateDeliveriesRedeliverDelete()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var (subscription, path) = await SubscribeAsync(client, type);

        var got = await client.GetSubscriptionAsync(subscription.Id);
        Assert.Equal("validated", got!.ValidationStatus);
        Assert.Null(got.Secret);
        Assert.Equal(type, got.TypeFilter);
        Assert.Contains(await client.ListSubscriptionsAsync(), s => s.Id == subscription.Id);
        // The validation event may arrive before the receiver learned the secret from the create answer (it is sent at
        // once): then it is refused with 401 and sent again; one is accepted.
        var requests = fixture.Receiver.RequestsTo(path);
        var validation = Assert.Single(requests, r => r.Status == 200);
        Assert.All(requests.Where(r => r.Status != 200), r => Assert.Equal(401, r.Status));
        Assert.Contains(AltinnCloudEvents.ValidationEventType, Encoding.UTF8.GetString(validation.Body), StringComparison.Ordinal);
        Assert.Empty(fixture.Receiver.HandledAt(path));

        var e = Generic(type);
        await client.PublishAsync(e);
        Assert.True(await HandledAsync(path, 1), "the event was not pushed");
        var handled = Assert.Single(fixture.Receiver.Handled, h => h.Path == path);
        Assert.Equal(e.Id, handled.Event.Id);
        Assert.Equal(subscription.Id, handled.Context.SubscriptionId);

        Assert.True(await TestQueues.EventuallyAsync(async () => await client.GetDeliveriesAsync(subscription.Id).AnyAsync(), Patience));
        var attempt = Assert.Single(await client.GetDeliveriesAsync(subscription.Id).ToListAsync());
        Assert.Equal((e.Id, "delivered", 200), (attempt.EventId, attempt.Outcome, attempt.StatusCode));

        var rotated = await client.RotateSecretAsync(subscription.Id);
        Assert.StartsWith("whsec_", rotated);
        Assert.NotEqual(subscription.Secret, rotated);
        fixture.Receiver.Secrets.Set(rotated);

        // A redelivery is a new delivery with its own webhook-id, signed with the new secret: handed over again.
        Assert.Equal(1, await client.RedeliverAllAsync(subscription.Id, new RedeliveryRequest { From = got.Created }));
        Assert.True(await HandledAsync(path, 2), "the redelivery was not pushed");
        Assert.Equal([$"{handled.Context.WebhookId}", $"{handled.Context.WebhookId}:1"], fixture.Receiver.Handled.Where(h => h.Path == path).Select(h => h.Context.WebhookId));

        var revalidate = await client.ValidateSubscriptionAsync(subscription.Id);
        Assert.Equal(subscription.Id, revalidate.Id);
        Assert.True(await TestQueues.EventuallyAsync(async () => (await client.GetSubscriptionAsync(subscription.Id))!.Validated, Patience));

        Assert.True(await client.DeleteSubscriptionAsync(subscription.Id));
        Assert.Null(await client.GetSubscriptionAsync(subscription.Id));
        Assert.False(await client.DeleteSubscriptionAsync(subscription.Id));
        Assert.DoesNotContain(await client.ListSubscriptionsAsync(), s => s.Id == subscription.Id);
    }

    [Fact]
    public async Task RealPush_IsAccepted_ItsReplays_TamperedOrStale_AreRejected_AndAnExactReplayIsNotHandedAgain()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var (_, path) = await SubscribeAsync(client, type);
        await client.PublishAsync(Generic(type));
        Assert.True(await HandledAsync(path, 1), "the event was not pushed");
        var push = fixture.Receiver.RequestsTo(path).Single(r => r.Status == 200 && !Encoding.UTF8.GetString(r.Body).Contains(AltinnCloudEvents.ValidationEventType, StringComparison.Ordinal));
        Assert.Equal(AltinnCloudEvents.StructuredContentType, push.Headers["Content-Type"].Split(';')[0]);

        var tampered = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(push.Body).Replace("/party/50001", "/party/50002", StringComparison.Ordinal));
        Assert.Equal(401, await fixture.Receiver.ReplayAsync(push, tampered));

        fixture.Receiver.MoveClock(TimeSpan.FromMinutes(6));
        try
        {
            Assert.Equal(401, await fixture.Receiver.ReplayAsync(push));
        }
        finally
        {
            fixture.Receiver.MoveClock(TimeSpan.Zero);
        }

        Assert.Equal(200, await fixture.Receiver.ReplayAsync(push));
        Assert.Single(fixture.Receiver.HandledAt(path));
    }

    [Fact]
    public async Task PushSignedWithASecretTheReceiverDoesNotHave_IsRejected_UntilItLearnsIt()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var (subscription, path) = await SubscribeAsync(client, type);
        var rotated = await client.RotateSecretAsync(subscription.Id); // the receiver is not told yet

        await client.PublishAsync(Generic(type));
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(fixture.Receiver.RequestsTo(path).Count(r => r.Status == 401) >= 2), Patience), "no rejected pushes");
        Assert.Empty(fixture.Receiver.HandledAt(path));

        fixture.Receiver.Secrets.Add(rotated);
        Assert.True(await HandledAsync(path, 1), "the retry with the known secret was not handed over");
        var pushes = fixture.Receiver.RequestsTo(path).Where(r => r.WebhookId!.StartsWith(subscription.Id.ToString(), StringComparison.Ordinal)).ToList();
        Assert.Single(pushes.Select(p => p.WebhookId).Distinct());
        Assert.Equal(200, pushes[^1].Status);
    }

    [Fact]
    public async Task RetryOfAPushTheApplicationHandled_IsAnswered_ButNotHandedAgain()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var (subscription, path) = await SubscribeAsync(client, type);
        fixture.Receiver.AbortAfterHandling[path] = true; // the answer to the first push is lost after the application handled it

        var e = Generic(type);
        await client.PublishAsync(e);

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(fixture.Receiver.RequestsTo(path).Count(r => r.WebhookId?.StartsWith(subscription.Id.ToString(), StringComparison.Ordinal) == true) >= 2), Patience), "the service did not retry the push");
        Assert.True(await TestQueues.EventuallyAsync(async () => await client.GetDeliveriesAsync(subscription.Id).AnyAsync(a => a.Outcome == "delivered"), Patience));
        var pushes = fixture.Receiver.RequestsTo(path).Where(r => r.WebhookId?.StartsWith(subscription.Id.ToString(), StringComparison.Ordinal) == true).ToList();
        Assert.Single(pushes.Select(p => p.WebhookId).Distinct());
        Assert.Equal(e.Id, Assert.Single(fixture.Receiver.HandledAt(path)).Id);
        var log = await client.GetDeliveriesAsync(subscription.Id).ToListAsync();
        Assert.Contains(log, a => a.Outcome == "retry");
    }

    [Fact]
    public async Task OptionsHandshakeAndBatchedPushes_AreHandledByMapEventsWebhook_EndToEnd()
    {
        var client = fixture.Client(ClientFixture.Org());
        var type = UniqueType();
        var (endpoint, path) = fixture.Receiver.NewEndpoint();
        var created = await client.CreateSubscriptionAsync(new SubscriptionRequest
        {
            EndPoint = endpoint, ResourceFilter = EventBuilder.TestResource, TypeFilter = type, ContentMode = "batched", BatchMaxEvents = 10, ValidationMethod = "options",
        });
        fixture.Receiver.Secrets.Add(created.Secret!);

        // Validated by the OPTIONS handshake, which MapEventsWebhook answers: no validation event is posted.
        Assert.True(await TestQueues.EventuallyAsync(async () => (await client.GetSubscriptionAsync(created.Id))!.Validated, Patience), "the subscription was not validated");
        var shown = (await client.GetSubscriptionAsync(created.Id))!;
        Assert.Equal(("batched", 10, "options", (int?)null), (shown.ContentMode, shown.BatchMaxEvents, shown.ValidationMethod, shown.AllowedRate));
        var handshake = Assert.Single(fixture.Receiver.RequestsTo(path));
        Assert.Equal(200, handshake.Status);
        Assert.False(string.IsNullOrEmpty(handshake.Headers["WebHook-Request-Origin"]));

        CloudEvent[] events = [Generic(type), Generic(type), Generic(type)];
        await client.PublishBatchAsync(events);

        Assert.True(await HandledAsync(path, 3), "the events were not pushed");
        var handled = fixture.Receiver.Handled.Where(h => h.Path == path).ToList();
        Assert.Equal(events.Select(e => e.Id), handled.Select(h => h.Event.Id));
        Assert.All(handled, h => Assert.Contains(":batch:", h.Context.WebhookId, StringComparison.Ordinal));
        Assert.All(handled, h => Assert.Equal(created.Id, h.Context.SubscriptionId));
        foreach (var push in handled.GroupBy(h => h.Context.WebhookId))
        {
            Assert.Equal(Enumerable.Range(0, push.Count()), push.Select(h => h.Context.Index));
            Assert.All(push, h => Assert.Equal(push.Count(), h.Context.Count));
        }

        var posts = fixture.Receiver.RequestsTo(path).Where(r => r.WebhookId is not null).ToList();
        Assert.All(posts, p => Assert.Equal((200, "application/cloudevents-batch+json"), (p.Status, p.Headers["Content-Type"].Split(';')[0])));
    }
}
