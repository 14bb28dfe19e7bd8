using System.Net;
using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Altinn.Events.Messaging;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>
/// DNS for the stage host: <c>hooks.slack.com</c> and every <c>*.hooks.test</c> name are the loopback receiver (so each
/// test endpoint has a host, and per-host limits, of its own); the rest as <see cref="FakeResolver"/>.
/// </summary>
public sealed class LoopbackResolver : IHostAddressResolver
{
    public const string Suffix = ".hooks.test";
    private readonly FakeResolver _others = new();

    public Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) =>
        string.Equals(host, "hooks.slack.com", StringComparison.OrdinalIgnoreCase) || host.EndsWith(Suffix, StringComparison.OrdinalIgnoreCase)
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
            ["Outbound:RetrySchedule"] = RetrySchedule,
            ["Outbound:Timeout"] = "00:00:03",
            ["Outbound:DisableAfter"] = DisableAfter,
            ["Outbound:OpenAfter"] = OpenAfter.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Outbound:SchedulerInterval"] = "00:00:00.100",
            ["Validation:RetrySchedule"] = "1s",
            ["Validation:Timeout"] = "00:00:02",
            ["Stages:outbound:MinPollingInterval"] = "00:00:00.050",
            ["Stages:outbound:MaxPollingInterval"] = "00:00:00.200",
            ["Stages:validation:MinPollingInterval"] = "00:00:00.050",
            ["Stages:validation:MaxPollingInterval"] = "00:00:00.200",
        };
        foreach (var (key, value) in ExtraSettings)
        {
            settings[key] = value;
        }

        _stages = new StagesFactory(settings, services =>
        {
            services.Replace(ServiceDescriptor.Singleton<IHostAddressResolver, LoopbackResolver>());
            Sent.Decorate(services);
        });
        _ = _stages.Server;
    }

    /// <summary>Every queue message the stage host sent.</summary>
    public CountingQueueSender Sent { get; } = new();

    public override async Task DisposeAsync()
    {
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    protected virtual string DisableAfter => "1.00:00:00";

    /// <summary>Eleven retries one second apart (12 attempts); an open endpoint is probed every second.</summary>
    protected virtual string RetrySchedule => string.Join(", ", Enumerable.Repeat("1s", 11));

    /// <summary>High enough that the tests of single deliveries never open their endpoint.</summary>
    protected virtual int OpenAfter => 50;

    protected virtual IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>();

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
            new { id, consumer, endPoint, resource, subjectFilter, typeFilter = typeFilter is null ? null : new[] { typeFilter }, secret });
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

    /// <summary>Stores <paramref name="count"/> generic events in one statement; returns them in sequence order.</summary>
    public async Task<IReadOnlyList<SeededEvent>> SeedEventsAsync(int count, string? subject = null)
    {
        var builders = Enumerable.Range(0, count).Select(_ => subject is null ? EventBuilder.Generic() : EventBuilder.Generic().With("subject", subject)).ToList();
        var rows = builders.Select(b =>
        {
            var e = b.Build();
            return new NewEvent(b.Id, (string)e["source"]!, (string)e["resource"]!, (string)e["type"]!, (string?)e["subject"], null, Subjects.PartyId((string?)e["subject"]), null, b.Json());
        }).ToList();
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await using (var transaction = await connection.BeginTransactionAsync())
        {
            await EventStore.InsertAsync(connection, transaction, rows, TimeProvider.System, CancellationToken.None);
            await transaction.CommitAsync();
        }

        var stored = (await connection.QueryAsync<(long Seq, DateTime Registered, string Id, string CloudEvent)>(
            "SELECT seq, registered, id, cloudevent FROM events WHERE id = ANY(@ids) ORDER BY seq", new { ids = builders.Select(b => b.Id).ToArray() })).ToList();
        return [.. stored.Select(r => new SeededEvent(r.Seq, new DateTimeOffset(DateTime.SpecifyKind(r.Registered, DateTimeKind.Utc)), r.Id, r.CloudEvent))];
    }

    /// <summary>Plays the inbound stage for many deliveries: queued rows in one statement, then messages of 256 deliveries.</summary>
    public async Task EnqueueManyAsync(IReadOnlyList<DeliveryReference> deliveries)
    {
        await using (var connection = await Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, due)
                SELECT r, s, i, now(), 'queued', now() + interval '2 minutes' FROM unnest(@registereds, @seqs, @ids) AS t(r, s, i)
                ON CONFLICT DO NOTHING
                """,
                new { registereds = deliveries.Select(d => d.Registered).ToArray(), seqs = deliveries.Select(d => d.Seq).ToArray(), ids = deliveries.Select(d => d.SubscriptionId).ToArray() });
        }

        foreach (var chunk in deliveries.Chunk(256))
        {
            await SendAsync(chunk);
        }
    }

    /// <summary>Stores a delivery in any state directly (a retry that is due, a claim a crashed instance left, ...).</summary>
    public async Task SeedDeliveryAsync(DeliveryReference delivery, string status, int attempts, DateTimeOffset due, Guid? claim = null, DateTimeOffset? firstFailedAt = null)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, attempts, due, claim, first_failed_at)
            VALUES (@Registered, @Seq, @SubscriptionId, now(), @status, @attempts, @due, @claim, @firstFailedAt)
            """,
            new { delivery.Registered, delivery.Seq, delivery.SubscriptionId, status, attempts, due, claim, firstFailedAt });
    }

    /// <summary>How many of a subscription's deliveries are in each status.</summary>
    public async Task<IReadOnlyDictionary<string, int>> StatusesAsync(Guid subscriptionId)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        var rows = await connection.QueryAsync<(string Status, long Count)>(
            "SELECT status, count(*) FROM deliveries WHERE subscription_id = @subscriptionId GROUP BY status", new { subscriptionId });
        return rows.ToDictionary(r => r.Status, r => (int)r.Count);
    }

    /// <summary>The delivery log rows of a subscription (outcome, probe).</summary>
    public async Task<IReadOnlyList<(string Outcome, bool Probe, int? StatusCode)>> AttemptsAsync(Guid subscriptionId)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<(string, bool, int?)>(
            "SELECT outcome, probe, status_code FROM delivery_attempts WHERE subscription_id = @subscriptionId ORDER BY attempted_at, id", new { subscriptionId })];
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

/// <summary>
/// Wraps the stage host's <see cref="IQueueSender"/> and counts what it sends per queue, so tests can assert how many
/// queue operations a failing endpoint causes.
/// </summary>
public sealed class CountingQueueSender
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public int To(string queue) => _counts.GetValueOrDefault(queue);

    public void Decorate(IServiceCollection services)
    {
        var original = services.Last(d => d.ServiceType == typeof(IQueueSender));
        services.Remove(original);
        services.AddSingleton<IQueueSender>(sp => new Counting(this, (IQueueSender)(original.ImplementationInstance
            ?? original.ImplementationFactory?.Invoke(sp)
            ?? ActivatorUtilities.CreateInstance(sp, original.ImplementationType!))));
    }

    private sealed class Counting(CountingQueueSender counts, IQueueSender inner) : IQueueSender
    {
        public Task SendAsync(string queueName, string body, TimeSpan? visibilityDelay, CancellationToken cancellationToken)
        {
            counts._counts.AddOrUpdate(queueName, 1, (_, c) => c + 1);
            return inner.SendAsync(queueName, body, visibilityDelay, cancellationToken);
        }
    }
}

/// <summary>
/// As <see cref="OutboundFixture"/>, for failing endpoints: they open after 3 failures in a row, are probed 1 s apart for
/// as long as they stay open, and deliveries waiting on them are given up only after the schedule's span of 5 minutes; one
/// consumer may have 12 pushes in flight. (A schedule of ten 1 s steps and then 5 minutes made the probe after the tenth
/// failed one wait 5 minutes: on a loaded machine a test that recovers its endpoint later than that saw no drain.)
/// </summary>
public sealed class IsolationFixture : OutboundFixture
{
    protected override string RetrySchedule { get; } = string.Join(", ", Enumerable.Repeat("1s", 300));

    protected override int OpenAfter => 3;

    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Outbound:MaxConcurrencyPerConsumer"] = "12",
    };
}