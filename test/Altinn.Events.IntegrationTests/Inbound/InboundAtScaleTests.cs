using Altinn.Events.Cli.Generators;
using Dapper;

namespace Altinn.Events.IntegrationTests.Inbound;

/// <summary>With a million subscriptions stored, the inbound stage still finds exactly the right ones.</summary>
public sealed class InboundAtScaleTests(InboundAtScaleTests.MillionSubscriptionsFixture fixture) : IClassFixture<InboundAtScaleTests.MillionSubscriptionsFixture>
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";

    [Fact]
    public async Task AmongAMillionSubscriptions_TheInboundStageMatchesExactly()
    {
        await using (var connection = await fixture.Database.DataSource.OpenConnectionAsync())
        {
            Assert.True(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM subscriptions") >= 1_000_000);
        }

        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var owner = await fixture.SubscribeAsync("/org/ttd", App, type: type);
        var party = await fixture.SubscribeAsync("/user/1337", App, subject: "/party/50001", type: type);
        var source = await fixture.SubscribeAsync("/org/ttd", App, source: "https://ttd.apps.altinn.no/ttd/apps-test", subject: "/party/50001");
        var trap = await fixture.SubscribeAsync("/org/ttd", App, source: "https://ttd.apps.altinn.no/ttd/apps-test2");
        var otherParty = await fixture.SubscribeAsync("/user/1337", App, subject: "/party/50002", type: type);

        // Generated events match generated subscriptions too: their deliveries are denied (no policy for those apps).
        var generated = InboundTests.AppEvent(type, "apps-test", 50001) with
        {
            Resource = TestDataGenerator.AppResource(3, 7),
            Source = TestDataGenerator.AppSource(3, 7) + "/instances/1000005/x",
        };
        var refs = await fixture.StoreAsync(InboundTests.AppEvent(type, "apps-test", 50001), generated);
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var ours = (await fixture.DeliveriesAsync(refs[0].Seq)).Where(d => d.Status == "queued").Select(d => d.SubscriptionId).ToHashSet();
        Assert.Equal(new HashSet<Guid> { owner, party, source }, ours);
        Assert.DoesNotContain(trap, ours);
        Assert.DoesNotContain(otherParty, ours);

        await using var check = await fixture.Database.DataSource.OpenConnectionAsync();
        var expectedForGenerated = await check.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM subscriptions WHERE resource_filter = @r AND subject_filter IS NULL AND (type_filter IS NULL OR @type = ANY(type_filter)) AND (source_filter IS NULL OR source_filter = @s)",
            new { r = TestDataGenerator.AppResource(3, 7), s = TestDataGenerator.AppSource(3, 7), type });
        var recordedForGenerated = (await fixture.DeliveriesAsync(refs[1].Seq)).Count;
        Assert.Equal(expectedForGenerated, recordedForGenerated);
        Assert.All(await fixture.DeliveriesAsync(refs[1].Seq), d => Assert.Equal("unauthorized", d.Status));
    }

    public sealed class MillionSubscriptionsFixture : InboundFixture
    {
        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            await TestDataGenerator.GenerateSubscriptionsAsync(Database.DataSource, 1_000_000, seed: 7, CancellationToken.None);
        }
    }
}
