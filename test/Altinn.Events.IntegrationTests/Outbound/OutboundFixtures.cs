using System.Net;
using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>DNS for the stage host: <c>hooks.slack.com</c> is the loopback receiver; the rest as <see cref="FakeResolver"/>.</summary>
public sealed class SlackOnLoopbackResolver : IHostAddressResolver
{
    private readonly FakeResolver _others = new();

    public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) =>
        string.Equals(host, "hooks.slack.com", StringComparison.OrdinalIgnoreCase)
            ? Task.FromResult<IReadOnlyList<IPAddress>>([IPAddress.Loopback])
            : _others.ResolveAsync(host, cancellationToken);
}

/// <summary>An event as stored: what a delivery refers to.</summary>
public sealed record SeededEvent(long Seq, DateTimeOffset Registered, string Id, string CloudEvent)
{
    public DeliveryReference For(Guid subscriptionId, int attempt = 1) => new(subscriptionId, Seq, Registered, attempt);
}

/// <summary>
/// The API and the stage host (outbound and validation stages) on one database and queues, with a compressed retry
/// schedule (eleven retries one second apart, 12 attempts), a 3 s push timeout, and the inbound stage's part played
/// by the tests: they seed events, subscriptions and deliveries rows and put outbound messages on the queue.
/// </summary>
public class OutboundFixture : SubscriptionsApiFixture
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private StagesFactory? _stages;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Stages:Run"] = "outbound,validation",
            ["Outbound:RetrySchedule"] = string.Join(", ", Enumerable.Repeat("1s", 11)),
            ["Outbound:Timeout"] = "00:00:03",
            ["Outbound:DisableAfter"] = DisableAfter,
            ["Validation:RetrySchedule"] = "1s",
            ["Validation:Timeout"] = "00:00:02",
            ["Stages:outbound:MinPollingInterval"] = "00:00:00.050",
            ["Stages:outbound:MaxPollingInterval"] = "00:00:00.200",
            ["Stages:validation:MinPollingInterval"] = "00:00:00.050",
            ["Stages:validation:MaxPollingInterval"] = "00:00:00.200",
        };
        _stages = new StagesFactory(settings, services => services.Replace(ServiceDescriptor.Singleton<IHostAddressResolver, SlackOnLoopbackResolver>()));
        _ = _stages.Server;
    }

    public override async Task DisposeAsync()
    {
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    protected virtual string DisableAfter => "1.00:00:00";

    /// <summary>A validated subscription of <paramref name="consumer"/>, stored directly; returns its id and secret.</summary>
    public async Task<(Guid Id, string Secret)> SeedSubscriptionAsync(
        string endPoint, string consumer = "/org/ttd", string resource = EventBuilder.TestResource, string? subjectFilter = null, string? typeFilter = null)
    {
        var id = Guid.NewGuid();
        var secret = WebhookSignature.NewSecret();
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO subscriptions (id, consumer, created_by, created, end_point, resource_filter, subject_filter, type_filter, secret,
                                       validation_status, validated_at)
            VALUES (@id, @consumer, @consumer, now(), @endPoint, @resource, @subjectFilter, @typeFilter, @secret, 'validated', now())
            """,
            new { id, consumer, endPoint, resource, subjectFilter, typeFilter, secret });
        return (id, secret);
    }

    /// <summary>Stores an event as the publish API would.</summary>
    public async Task<SeededEvent> SeedEventAsync(EventBuilder builder)
    {
        var e = builder.Build();
        var subject = (string?)e["subject"];
        var json = builder.Json();
        var stored = new NewEvent(builder.Id, (string)e["source"]!, (string)e["resource"]!, (string)e["type"]!, subject, null, Subjects.PartyId(subject), null, json);
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await EventStore.InsertAsync(connection, transaction, [stored], TimeProvider.System, CancellationToken.None);
            await transaction.CommitAsync();
        }

        var row = await connection.QuerySingleAsync<(long Seq, DateTime Registered)>("SELECT seq, registered FROM events WHERE id = @id", new { id = builder.Id });
        return new SeededEvent(row.Seq, new DateTimeOffset(DateTime.SpecifyKind(row.Registered, DateTimeKind.Utc)), builder.Id, json);
    }

    /// <summary>Plays the inbound stage: a queued deliveries row per delivery, then one outbound message carrying them all.</summary>
    public async Task EnqueueAsync(params DeliveryReference[] deliveries)
    {
        await using (var connection = await Database.DataSource.OpenConnectionAsync())
        {
            foreach (var d in deliveries)
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status)
                    VALUES (@Registered, @Seq, @SubscriptionId, now(), 'queued') ON CONFLICT DO NOTHING
                    """,
                    new { Registered = d.Registered, d.Seq, d.SubscriptionId });
            }
        }

        await SendAsync(deliveries);
    }

    /// <summary>Puts an outbound message on the queue (again), without touching the deliveries rows.</summary>
    public async Task SendAsync(params DeliveryReference[] deliveries) =>
        await Queues.Queue(Queues.Outbound).SendMessageAsync(JsonSerializer.Serialize(new OutboundMessage(deliveries), Json));

    public async Task<(string Status, int Attempts, string? Reason)> DeliveryAsync(Guid subscriptionId, long seq)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string, int, string?)>(
            "SELECT status, attempts, reason FROM deliveries WHERE subscription_id = @subscriptionId AND event_seq = @seq", new { subscriptionId, seq });
    }

    /// <summary>The poison messages the outbound stage wrote (peeked; up to 32).</summary>
    public async Task<IReadOnlyList<DeliveryPoisonMessage>> PoisonedAsync() =>
        [.. (await Queues.Poison(Queues.Outbound).PeekMessagesAsync(32)).Value.Select(m => JsonSerializer.Deserialize<DeliveryPoisonMessage>(m.Body.ToString(), Json)!)];
}

/// <summary>As <see cref="OutboundFixture"/>, but endpoints are disabled after failing for 2 seconds.</summary>
public sealed class QuickDisableOutboundFixture : OutboundFixture
{
    protected override string DisableAfter => "00:00:02";
}
