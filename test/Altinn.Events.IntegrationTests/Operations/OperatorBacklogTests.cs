using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Operations;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Altinn.Events.IntegrationTests.Operations;

/// <summary>The backlog report read from PostgreSQL: a stuck outbox, overdue deliveries, an open endpoint's parked backlog.</summary>
public sealed class OperatorBacklogTests(OperatorBacklogTests.Fixture api) : IClassFixture<OperatorBacklogTests.Fixture>
{
    [Fact]
    public async Task Backlog_ShowsTheOutboxAge_TheOverdueDeliveries_AndTheOpenEndpoint()
    {
        var now = DateTimeOffset.UtcNow;
        var subscription = Guid.NewGuid();
        var endPoint = $"https://hooks.example.com/{subscription}";
        await using (var connection = await api.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("INSERT INTO outbox (seq, registered) VALUES (900001, @old), (900002, @now)", new { old = now.AddMinutes(-42), now });
            await connection.ExecuteAsync(
                """
                INSERT INTO subscriptions (id, consumer, created_by, created, end_point, resource_filter, secret, validation_status)
                VALUES (@subscription, '/org/ttd', '/org/ttd', @now, @endPoint, 'urn:altinn:resource:ttd-events-test', 'whsec_x', 'validated')
                """,
                new { subscription, now, endPoint });
            await connection.ExecuteAsync(
                """
                INSERT INTO endpoints (id, end_point, state, consecutive_failures, failing_since, opened_at, next_probe_at, last_error, updated)
                VALUES (md5(@endPoint)::uuid, @endPoint, 'open', 7, @since, @since, @probe, 'HTTP 503', @now)
                """,
                new { endPoint, since = now.AddHours(-2), probe = now.AddMinutes(10), now });

            // Overdue: a retry 20 minutes late and a queued row whose message was lost; not overdue: one due in 3 minutes
            // and a parked one (its due is when it is given up), and settled rows (no due).
            await connection.ExecuteAsync(
                """
                INSERT INTO deliveries (event_registered, event_seq, subscription_id, created, status, attempts, due, first_failed_at)
                VALUES (@now, 1, @subscription, @now, 'waiting', 3, @late, @since),
                       (@now, 2, @subscription, @now, 'queued', 0, @lost, NULL),
                       (@now, 3, @subscription, @now, 'waiting', 1, @soon, @since),
                       (@now, 4, @subscription, @now, 'parked', 2, @giveUp, @since),
                       (@now, 5, @subscription, @now, 'parked', 2, @giveUp, @since),
                       (@now, 6, @subscription, @now, 'delivered', 1, NULL, NULL)
                """,
                new { now, subscription, late = now.AddMinutes(-20), lost = now.AddMinutes(-8), soon = now.AddMinutes(3), giveUp = now.AddHours(30), since = now.AddHours(-2) });
        }

        using var client = api.Client(TestTokens.ForOperator(roles: [TestTokens.OperatorRole]));

        var backlog = await client.GetFromJsonAsync<JsonElement>("/operator/backlog?olderThan=PT5M");

        var outbox = backlog.GetProperty("outbox");
        Assert.Equal(2, outbox.GetProperty("depth").GetInt64());
        Assert.Equal(900001, outbox.GetProperty("oldestSeq").GetInt64());
        Assert.InRange(outbox.GetProperty("oldestAgeSeconds").GetDouble(), 42 * 60 - 5, 42 * 60 + 120);

        var overdue = backlog.GetProperty("overdueDeliveries");
        Assert.Equal("PT5M", overdue.GetProperty("olderThan").GetString());
        Assert.Equal(2, overdue.GetProperty("total").GetInt64());
        Assert.False(overdue.GetProperty("capped").GetBoolean());
        var byStatus = overdue.GetProperty("byStatus").EnumerateArray().ToDictionary(s => s.GetProperty("status").GetString()!, s => s.GetProperty("count").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["queued"] = 1, ["waiting"] = 1 }, byStatus);
        var oldest = overdue.GetProperty("oldest").EnumerateArray().ToList();
        Assert.Equal([1L, 2L], oldest.Select(d => d.GetProperty("seq").GetInt64()));
        Assert.InRange(oldest[0].GetProperty("overdueSeconds").GetDouble(), 20 * 60 - 5, 20 * 60 + 120);

        var endpoint = Assert.Single(backlog.GetProperty("endpoints").EnumerateArray());
        Assert.Equal(endPoint, endpoint.GetProperty("endPoint").GetString());
        Assert.Equal("open", endpoint.GetProperty("state").GetString());
        Assert.Equal(2, endpoint.GetProperty("parkedDeliveries").GetInt64());
        Assert.Equal(1, endpoint.GetProperty("subscriptions").GetInt32());
        Assert.Equal("HTTP 503", endpoint.GetProperty("lastError").GetString());

        // A longer threshold leaves out the queued row 8 minutes late, then the retry 20 minutes late too.
        var tenMinutes = await client.GetFromJsonAsync<JsonElement>("/operator/backlog?olderThan=PT10M");
        Assert.Equal(1, tenMinutes.GetProperty("overdueDeliveries").GetProperty("total").GetInt64());
        var hour = await client.GetFromJsonAsync<JsonElement>("/operator/backlog?olderThan=PT1H");
        Assert.Equal(0, hour.GetProperty("overdueDeliveries").GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData("5 minutes")]
    [InlineData("-PT5M")]
    [InlineData("P100D")]
    public async Task Backlog_WithBadThreshold_Returns400NamingOlderThan(string olderThan)
    {
        using var client = api.Client(TestTokens.ForOperator(roles: [TestTokens.OperatorRole]));

        var response = await client.GetAsync($"/operator/backlog?olderThan={Uri.EscapeDataString(olderThan)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("olderThan", out _));
    }

    [Theory]
    [InlineData(BacklogStore.OverdueSql)]
    [InlineData(BacklogStore.OldestSql)]
    public async Task OverdueQueries_UseTheDueIndex_NotAScanOfDeliveries(string sql)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();

        // A tiny test table would be scanned anyway; with scans priced out, only a usable index avoids one.
        await connection.ExecuteAsync("SET LOCAL enable_seqscan = off", transaction: transaction);
        var plan = string.Join("\n", await connection.QueryAsync<string>(
            "EXPLAIN " + sql, new { before = DateTimeOffset.UtcNow, cap = 100, limit = 10 }, transaction));

        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(plan, @"Index (Only )?Scan using deliveries_\w*due"), plan);
        Assert.DoesNotContain("Seq Scan", plan);
    }

    /// <summary>The API without its outbox relay, so outbox rows the test writes stay where they are (a relay outage).</summary>
    public sealed class Fixture : ApiFixture
    {
        protected override void ConfigureServices(IServiceCollection services)
        {
            foreach (var relay in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "OutboxRelayService").ToList())
            {
                services.Remove(relay);
            }
        }
    }
}
