using Altinn.Events.Core.Delivery;
using Altinn.Events.Persistence.Delivery;
using Dapper;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>Parking deliveries on their endpoint, as the statement runs against the real PostgreSQL.</summary>
public sealed class ParkingTests(OutboundFixture stage) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task Park_ParksOnlyWhatItsClaimHolds_CountsThem_AndBumpsTheEndpointsBacklog()
    {
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync("https://park-" + Guid.NewGuid().ToString("N")[..8] + ".hooks.test/hook");
        var events = await stage.SeedEventsAsync(5);
        var claim = Guid.NewGuid();
        var due = DateTimeOffset.UtcNow.AddMinutes(1);
        await stage.SeedDeliveryAsync(events[0].For(subscriptionId), DeliveryStatus.Pushing, 0, due, claim);
        await stage.SeedDeliveryAsync(events[1].For(subscriptionId), DeliveryStatus.Pushing, 0, due, claim);
        await stage.SeedDeliveryAsync(events[2].For(subscriptionId), DeliveryStatus.Pushing, 0, due, Guid.NewGuid());
        await stage.SeedDeliveryAsync(events[3].For(subscriptionId), DeliveryStatus.Delivered, 1, due);
        var schedule = new DeliverySchedule(stage.Database.DataSource);

        var parked = await schedule.ParkAsync([.. events.Take(4).Select(e => e.For(subscriptionId))], claim, failing: true, TimeSpan.FromHours(1), DateTimeOffset.UtcNow, CancellationToken.None);
        var again = await schedule.ParkAsync([events[0].For(subscriptionId)], claim, failing: true, TimeSpan.FromHours(1), DateTimeOffset.UtcNow, CancellationToken.None);

        Assert.Equal(2, parked);
        Assert.Equal(0, again);
        var statuses = await stage.StatusesAsync(subscriptionId);
        Assert.Equal(2, statuses[DeliveryStatus.Parked]);
        Assert.Equal(1, statuses[DeliveryStatus.Pushing]);
        Assert.Equal(1, statuses[DeliveryStatus.Delivered]);
        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.QuerySingleAsync<long>(
            "SELECT e.backlog_version - e.drained_version FROM endpoints e JOIN subscriptions s ON s.endpoint_id = e.id WHERE s.id = @subscriptionId", new { subscriptionId }));
    }

    [Fact]
    public async Task ParkAgainFromNow_GivesAPastSpanANewDeadline_ElseTheDeadlineCountsFromTheFirstFailure()
    {
        // A delivery whose span passed while its endpoint closed again is parked from now: were its deadline still counted
        // from its first failure, it would fall due again at once and the scheduler would take it every round.
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync("https://park-" + Guid.NewGuid().ToString("N")[..8] + ".hooks.test/hook");
        var events = await stage.SeedEventsAsync(2);
        var claim = Guid.NewGuid();
        var firstFailed = DateTimeOffset.UtcNow.AddHours(-2);
        foreach (var e in events)
        {
            await stage.SeedDeliveryAsync(e.For(subscriptionId), DeliveryStatus.Pushing, 1, DateTimeOffset.UtcNow.AddMinutes(1), claim, firstFailedAt: firstFailed);
        }

        var schedule = new DeliverySchedule(stage.Database.DataSource);
        var now = DateTimeOffset.UtcNow;
        await schedule.ParkAsync([events[0].For(subscriptionId)], claim, failing: false, TimeSpan.FromHours(1), now, CancellationToken.None, fromNow: true);
        await schedule.ParkAsync([events[1].For(subscriptionId)], claim, failing: false, TimeSpan.FromHours(1), now, CancellationToken.None);

        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        var dues = (await connection.QueryAsync<(long Seq, DateTime Due)>(
            "SELECT event_seq, due FROM deliveries WHERE subscription_id = @subscriptionId", new { subscriptionId })).ToDictionary(r => r.Seq, r => new DateTimeOffset(r.Due, TimeSpan.Zero));
        Assert.Equal(now.AddHours(1), dues[events[0].Seq], TimeSpan.FromMilliseconds(1));
        Assert.Equal(firstFailed.AddHours(1), dues[events[1].Seq], TimeSpan.FromMilliseconds(1));
    }
}
