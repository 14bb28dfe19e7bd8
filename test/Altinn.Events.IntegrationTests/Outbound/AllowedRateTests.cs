using Altinn.Events.IntegrationTests.Infrastructure;
using Dapper;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>
/// The push rate an endpoint granted in the OPTIONS handshake (<c>allowed_rate</c>, requests per minute): pushes to it are
/// spaced 60 s / rate apart, those further off than the in-memory horizon (SlotWait, 2 s here) wait in PostgreSQL, none is
/// dropped, a batched push counts as one request, and an endpoint without a limit beside it is not held up.
/// </summary>
public sealed class AllowedRateTests(AllowedRateTests.RateFixture stage) : IClassFixture<AllowedRateTests.RateFixture>, IAsyncLifetime
{
    private PushReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await PushReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task AllowedRate_SpacesPushes_DelaysButNeverDrops_AndDoesNotHoldUpAnotherEndpoint()
    {
        var limited = _receiver.Endpoint(200);
        var free = _receiver.Endpoint(200);
        var (limitedId, _) = await stage.SeedSubscriptionAsync(limited);
        var (freeId, _) = await stage.SeedSubscriptionAsync(free);
        await RateAsync(limitedId, 60); // one a second
        var events = await stage.SeedEventsAsync(7);

        // One message for both, as the inbound stage writes them.
        var started = DateTimeOffset.UtcNow;
        await stage.EnqueueAsync([.. events.Select(e => e.For(limitedId)), .. events.Select(e => e.For(freeId))]);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(freeId)).GetValueOrDefault("delivered") == 7, OutboundFixture.Patience));
        var freeDone = _receiver.To(free).Max(p => p.At);
        Assert.True(freeDone - started < TimeSpan.FromSeconds(3), $"the endpoint without a limit took {freeDone - started}");
        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(limitedId)).GetValueOrDefault("delivered") == 7, OutboundFixture.Patience));

        var pushes = _receiver.To(limited).OrderBy(p => p.At).ToList();
        Assert.Equal(7, pushes.Count);
        Assert.Equal(events.Select(e => e.Id).Order(), pushes.Select(p => events.Single(e => p.Body.Contains(e.Id, StringComparison.Ordinal)).Id).Order());
        var gaps = pushes.Zip(pushes.Skip(1), (a, b) => b.At - a.At).ToList();
        Assert.All(gaps, g => Assert.True(g >= TimeSpan.FromMilliseconds(750), $"two pushes {g.TotalMilliseconds} ms apart at 60 a minute: {string.Join(", ", gaps.Select(x => (int)x.TotalMilliseconds))}"));
        Assert.True(pushes[^1].At - pushes[0].At >= TimeSpan.FromSeconds(5.4), $"7 pushes at 60 a minute took {pushes[^1].At - pushes[0].At}");

        // Pushes further off than the 2 s horizon waited in PostgreSQL, not as attempts: each delivery was pushed once.
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(7L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM delivery_attempts WHERE subscription_id = @limitedId", new { limitedId }));
        Assert.Equal(7L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM deliveries WHERE subscription_id = @limitedId AND attempts = 1", new { limitedId }));
    }

    [Fact]
    public async Task AllowedRate_CountsABatchedPushAsOneRequest()
    {
        var limited = _receiver.Endpoint(200);
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync(limited);
        await RateAsync(subscriptionId, 60);
        await using (var connection = await stage.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE subscriptions SET content_mode = 'batched', batch_max_events = 10 WHERE id = @subscriptionId", new { subscriptionId });
        }

        var events = await stage.SeedEventsAsync(30);

        await stage.EnqueueAsync([.. events.Select(e => e.For(subscriptionId))]);

        Assert.True(await TestQueues.EventuallyAsync(async () => (await stage.StatusesAsync(subscriptionId)).GetValueOrDefault("delivered") == 30, OutboundFixture.Patience));
        var pushes = _receiver.To(limited).OrderBy(p => p.At).ToList();
        Assert.Equal(3, pushes.Count);
        Assert.True(pushes[^1].At - pushes[0].At >= TimeSpan.FromSeconds(1.6), $"3 requests at 60 a minute took {pushes[^1].At - pushes[0].At}");
        Assert.True(pushes[^1].At - pushes[0].At < TimeSpan.FromSeconds(10), "each event was counted as a request");
    }

    private async Task RateAsync(Guid subscriptionId, int perMinute)
    {
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE subscriptions SET allowed_rate = @perMinute WHERE id = @subscriptionId", new { subscriptionId, perMinute });
    }

    /// <summary>As <see cref="OutboundFixture"/>, with a 2 s SlotWait, so a rate's in-memory horizon is 2 s.</summary>
    public sealed class RateFixture : OutboundFixture
    {
        protected override IReadOnlyDictionary<string, string?> ExtraSettings { get; } = new Dictionary<string, string?>
        {
            ["Outbound:SlotWait"] = "00:00:02",
        };
    }
}
