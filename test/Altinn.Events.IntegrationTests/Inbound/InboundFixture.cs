using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Dapper;

namespace Altinn.Events.IntegrationTests.Inbound;

/// <summary>The stage host running only the inbound stage, on a database and queues of its own.</summary>
public class InboundFixture : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private StagesFactory? _stages;

    public DatabaseFixture Database { get; } = new();

    public TestQueues Queues { get; } = new();

    public virtual async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        await Queues.CreateAllAsync();
        var settings = Queues.Settings(createOnStart: false);
        settings["Database:ConnectionString"] = Database.ConnectionString;
        settings["Stages:Run"] = "inbound";
        settings["Stages:inbound:MinPollingInterval"] = "00:00:00.020";
        settings["Stages:inbound:MaxPollingInterval"] = "00:00:00.100";
        settings["Authorization:DecisionCacheSeconds"] = "0";
        _stages = new StagesFactory(settings);
        _ = _stages.Server;
    }

    public async Task DisposeAsync()
    {
        if (_stages is not null)
        {
            await _stages.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    /// <summary>Stores events and returns their references, as the relay would send them.</summary>
    public async Task<List<EventReference>> StoreAsync(params NewEvent[] events)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await using (var tx = await connection.BeginTransactionAsync())
        {
            await EventStore.InsertAsync(connection, tx, events, TimeProvider.System, CancellationToken.None);
            await tx.CommitAsync();
        }

        var rows = await connection.QueryAsync<(long Seq, DateTime Registered)>(
            "SELECT seq, registered FROM events WHERE id = ANY(@ids) ORDER BY seq", new { ids = events.Select(e => e.Id).ToArray() });
        return [.. rows.Select(r => new EventReference(r.Seq, new DateTimeOffset(DateTime.SpecifyKind(r.Registered, DateTimeKind.Utc))))];
    }

    /// <summary>Stores a validated subscription directly (the API and validation are tested elsewhere).</summary>
    public async Task<Guid> SubscribeAsync(string consumer, string resource, string? subject = null, string? source = null, string? type = null, bool includeSubunits = false, string status = "validated")
    {
        var id = Guid.NewGuid();
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(
            """
            INSERT INTO subscriptions (id, consumer, created_by, created, end_point, resource_filter, source_filter, subject_filter, type_filter, include_subunits, secret, validation_status)
            VALUES (@id, @consumer, @consumer, now(), 'https://hooks.example/x', @resource, @source, @subject, @type, @includeSubunits, 'whsec_dGVzdA==', @status)
            """,
            new { id, consumer, resource, source, subject, type = type is null ? null : new[] { type }, includeSubunits, status });
        return id;
    }

    public Task SendInboundAsync(IEnumerable<EventReference> references) =>
        Queues.Queue(Queues.Inbound).SendMessageAsync(JsonSerializer.Serialize(new InboundMessage([.. references]), Json));

    /// <summary>Takes every message off the outbound queue within the time given and returns their deliveries.</summary>
    public async Task<List<DeliveryReference>> DrainOutboundAsync(TimeSpan wait)
    {
        var found = new List<DeliveryReference>();
        var queue = Queues.Queue(Queues.Outbound);
        var until = DateTime.UtcNow + wait;
        while (DateTime.UtcNow < until)
        {
            var messages = (await queue.ReceiveMessagesAsync(32)).Value;
            foreach (var m in messages)
            {
                found.AddRange(JsonSerializer.Deserialize<OutboundMessage>(m.Body.ToString(), Json)!.Deliveries);
                await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }

            if (messages.Length == 0)
            {
                await Task.Delay(50);
            }
        }

        return found;
    }

    /// <summary>
    /// Waits until every inbound message is settled: the approximate count includes messages that are invisible while
    /// being processed, so zero means each was deleted (or poisoned), after its deliveries were committed.
    /// </summary>
    public async Task WaitForInboundAsync()
    {
        var queue = Queues.Queue(Queues.Inbound);
        Assert.True(
            await TestQueues.EventuallyAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, TimeSpan.FromSeconds(30)),
            "the inbound queue did not drain");
    }

    public async Task<List<(Guid SubscriptionId, long Seq, string Status, string? Reason)>> DeliveriesAsync(long seq)
    {
        await using var connection = await Database.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<(Guid, long, string, string?)>(
            "SELECT subscription_id, event_seq, status, reason FROM deliveries WHERE event_seq = @seq", new { seq })];
    }
}
