using Altinn.Events.Core.Delivery;
using Altinn.Events.IntegrationTests.Authorization;
using Altinn.Events.Persistence.Delivery;
using Dapper;

namespace Altinn.Events.IntegrationTests.Outbound;

/// <summary>
/// Successful pushes share transactions (<see cref="DeliveredBatcher"/>) and are recorded as one at a time would record
/// them, against the real PostgreSQL.
/// </summary>
public sealed class DeliveredBatcherTests(OutboundFixture stage) : IClassFixture<OutboundFixture>
{
    [Fact]
    public async Task ConcurrentSuccesses_ShareStatements_AndRecordWhatEachAloneWould()
    {
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync("https://batch-" + Guid.NewGuid().ToString("N")[..8] + ".hooks.test/hook");
        var events = await stage.SeedEventsAsync(300);
        var claim = Guid.NewGuid();
        var firstFailed = DateTimeOffset.UtcNow.AddMinutes(-5);
        foreach (var (e, i) in events.Select((e, i) => (e, i)))
        {
            // One delivery was taken over by a redelivery after its push began: its claim is no longer the push's.
            await stage.SeedDeliveryAsync(e.For(subscriptionId, attempt: 2), DeliveryStatus.Pushing, 1, DateTimeOffset.UtcNow.AddMinutes(1), i == 7 ? Guid.NewGuid() : claim, i % 2 == 0 ? firstFailed : null);
        }

        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        var endpointId = await connection.QuerySingleAsync<Guid>("SELECT endpoint_id FROM subscriptions WHERE id = @subscriptionId", new { subscriptionId });
        await connection.ExecuteAsync(
            """
            INSERT INTO endpoints (id, end_point, state, consecutive_failures, failing_since, last_error, updated)
            SELECT endpoint_id, end_point, 'failing', 3, now(), 'HTTP 500', now() FROM subscriptions WHERE id = @subscriptionId;
            UPDATE subscriptions SET failing_since = now() WHERE id = @subscriptionId;
            """,
            new { subscriptionId });

        var batcher = new DeliveredBatcher(new DeliveryStore(stage.Database.DataSource));
        using var commands = new CommandCounter(stage.Database.DatabaseName);
        var at = DateTimeOffset.UtcNow;
        var results = await Task.WhenAll(events.Select(e => Task.Run(() => batcher.RecordAsync(
            new AttemptRecord(e.For(subscriptionId, attempt: 2), e.Id, at, 200, TimeSpan.FromMilliseconds(12), null, AttemptOutcome.Delivered, claim), endpointId))));

        Assert.Equal(299, results.Count(r => r));
        Assert.False(results[7]);
        var statements = commands.Commands.Count(c => c.Contains("unnest(@ats", StringComparison.Ordinal) || c.Contains("unnest($1", StringComparison.Ordinal));
        Assert.InRange(statements, 1, 60);

        var rows = (await connection.QueryAsync<(long Seq, string Status, int Attempts, Guid? Claim, DateTime? FirstFailedAt, DateTime? Due)>(
            "SELECT event_seq, status, attempts, claim, first_failed_at, due FROM deliveries WHERE subscription_id = @subscriptionId ORDER BY event_seq", new { subscriptionId })).ToList();
        Assert.Equal(300, rows.Count);
        foreach (var (row, i) in rows.Select((r, i) => (r, i)))
        {
            if (i == 7)
            {
                Assert.Equal(DeliveryStatus.Pushing, row.Status);
                Assert.NotNull(row.Claim);
                continue;
            }

            Assert.Equal(DeliveryStatus.Delivered, row.Status);
            Assert.Equal(2, row.Attempts);
            Assert.Null(row.Claim);
            Assert.Null(row.Due);
            Assert.Equal(i % 2 == 0, row.FirstFailedAt is not null);
        }

        // Every attempt is logged, the stale one too, as a single attempt would be.
        var attempts = await stage.AttemptsAsync(subscriptionId);
        Assert.Equal(300, attempts.Count);
        Assert.All(attempts, a => Assert.Equal((AttemptOutcome.Delivered, false, (int?)200), a));

        var endpoint = await connection.QuerySingleAsync<(string State, int Failures, DateTime? FailingSince, string? LastError)>(
            "SELECT state, consecutive_failures, failing_since, last_error FROM endpoints WHERE id = @endpointId", new { endpointId });
        Assert.Equal((EndpointState.Healthy, 0, (DateTime?)null, (string?)null), endpoint);
        Assert.Null(await connection.QuerySingleAsync<DateTime?>("SELECT failing_since FROM subscriptions WHERE id = @subscriptionId", new { subscriptionId }));
    }

    [Fact]
    public async Task ARowTheDatabaseRefuses_FailsOnlyItsOwnRecord()
    {
        var (subscriptionId, _) = await stage.SeedSubscriptionAsync("https://batch-" + Guid.NewGuid().ToString("N")[..8] + ".hooks.test/hook");
        var events = await stage.SeedEventsAsync(40);
        var claim = Guid.NewGuid();
        foreach (var e in events)
        {
            await stage.SeedDeliveryAsync(e.For(subscriptionId), DeliveryStatus.Pushing, 0, DateTimeOffset.UtcNow.AddMinutes(1), claim);
        }

        await using var connection = await stage.Database.DataSource.OpenConnectionAsync();
        var endpointId = await connection.QuerySingleAsync<Guid>("SELECT endpoint_id FROM subscriptions WHERE id = @subscriptionId", new { subscriptionId });
        var batcher = new DeliveredBatcher(new DeliveryStore(stage.Database.DataSource));

        // The delivery log has no partition for an attempt a century from now: PostgreSQL refuses that one row.
        var records = events.Select((e, i) => batcher.RecordAsync(
            new AttemptRecord(e.For(subscriptionId), e.Id, i == 3 ? DateTimeOffset.UtcNow.AddYears(100) : DateTimeOffset.UtcNow, 204, TimeSpan.FromMilliseconds(3), null, AttemptOutcome.Delivered, claim), endpointId)).ToList();
        var bad = records[3];
        await Assert.ThrowsAnyAsync<Exception>(() => bad);
        Assert.All(await Task.WhenAll(records.Where(r => r != bad)), Assert.True);

        var statuses = await stage.StatusesAsync(subscriptionId);
        Assert.Equal(39, statuses[DeliveryStatus.Delivered]);
        Assert.Equal(1, statuses[DeliveryStatus.Pushing]);
    }
}
