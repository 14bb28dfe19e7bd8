using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>As <see cref="OutboundFixture"/>, but a queue message may wait up to 20 s for its pushes.</summary>
public sealed class LongHoldOutboundFixture : OutboundFixture
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
    {
        ["Outbound:HoldMessageFor"] = "00:00:20",
        ["Outbound:MaxConcurrencyPerEndpoint"] = "2",
    };
}

/// <summary>
/// A queue message waits for the pushes that found a slot at once, never for those waiting in line for a busy endpoint:
/// otherwise every message with a delivery to a hanging endpoint would hold a listener slot, and the listener would take
/// fewer messages than the healthy endpoints can accept.
/// </summary>
public sealed class MessageHoldTests(LongHoldOutboundFixture stage) : IClassFixture<LongHoldOutboundFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task DeliveriesWaitingInLineForAHangingEndpoint_DoNotHoldTheirMessages()
    {
        var hanging = _receiver.Endpoint(_ => new Reply(200, Delay: TimeSpan.FromSeconds(60)));
        var healthy = _receiver.Endpoint(200);
        var (hangingId, _) = await stage.SeedSubscriptionAsync(hanging);
        var (healthyId, _) = await stage.SeedSubscriptionAsync(healthy);
        var events = await stage.SeedEventsAsync(22);

        // Two deliveries take the hanging endpoint's two slots; their message waits for them (up to 20 s).
        await stage.EnqueueAsync(events[0].For(hangingId), events[1].For(hangingId));
        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(hanging).Count == 2), OutboundFixture.Patience));

        // Twenty messages of one healthy delivery and one that must wait in line for the hanging endpoint.
        foreach (var e in events.Skip(2))
        {
            await stage.EnqueueAsync(e.For(hangingId), e.For(healthyId));
        }

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(_receiver.To(healthy).Count == 20), OutboundFixture.Patience));

        // Those twenty complete as soon as their healthy push is recorded: only the first message is still held.
        var queue = stage.Queues.Queue(stage.Queues.Outbound);
        Assert.True(
            await TestQueues.EventuallyAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount <= 1, TimeSpan.FromSeconds(8)),
            $"{(await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount} messages still on the queue");
        Assert.Equal(2, _receiver.MostConcurrent(hanging));
        Assert.Equal(22, (await stage.StatusesAsync(hangingId)).GetValueOrDefault("pushing"));
    }
}
