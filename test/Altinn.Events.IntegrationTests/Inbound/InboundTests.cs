using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;

namespace Altinn.Events.IntegrationTests.Inbound;

/// <summary>The inbound stage through the real queues, database, register and embedded PDP.</summary>
public sealed class InboundTests(InboundFixture fixture) : IClassFixture<InboundFixture>
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";
    private const string Generic = "urn:altinn:resource:ttd-events-test";
    private const string AppsTestSource = "https://ttd.apps.altinn.no/ttd/apps-test";

    [Fact]
    public async Task EachMatchingRule_SelectsExactlyTheMatchingSubscriptions()
    {
        // The org that owns the app may read every party's events, so authorization lets all of these through.
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var byResource = await fixture.SubscribeAsync("/org/ttd", App, type: type);
        var bySource = await fixture.SubscribeAsync("/org/ttd", App, source: AppsTestSource, type: type);
        var bySourcePrefixTrap = await fixture.SubscribeAsync("/org/ttd", App, source: "https://ttd.apps.altinn.no/ttd/apps-tes", type: type);
        var bySubject = await fixture.SubscribeAsync("/org/ttd", App, subject: "/party/50001", type: type);
        var byOtherSubject = await fixture.SubscribeAsync("/org/ttd", App, subject: "/party/50004", type: type);
        var byOtherType = await fixture.SubscribeAsync("/org/ttd", App, type: type + ".other");
        var byOtherResource = await fixture.SubscribeAsync("/org/ttd", "urn:altinn:resource:app_ttd_other", type: type);
        var notValidated = await fixture.SubscribeAsync("/org/ttd", App, type: type, status: "pending");

        var refs = await fixture.StoreAsync(AppEvent(type, "apps-test", 50001));
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var delivered = (await fixture.DeliveriesAsync(refs[0].Seq)).Where(d => d.Status == "queued").Select(d => d.SubscriptionId).ToHashSet();
        Assert.Equal(new HashSet<Guid> { byResource, bySource, bySubject }, delivered);
        Assert.DoesNotContain(bySourcePrefixTrap, delivered);
        Assert.DoesNotContain(byOtherSubject, delivered);
        Assert.DoesNotContain(byOtherType, delivered);
        Assert.DoesNotContain(byOtherResource, delivered);
        Assert.DoesNotContain(notValidated, delivered);
        var outbound = await fixture.DrainOutboundAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(delivered, outbound.Where(d => d.Seq == refs[0].Seq).Select(d => d.SubscriptionId).ToHashSet());
    }

    [Fact]
    public async Task SourceFilter_NeverMatchesAnAppWhoseNameOnlyStartsTheSame()
    {
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var subscription = await fixture.SubscribeAsync("/org/ttd", App, source: AppsTestSource, type: type);

        // An event of apps-test2 that (mis)claims the apps-test resource: only the source prefix can tell them apart.
        var refs = await fixture.StoreAsync(AppEvent(type, "apps-test2", 50001) with { Resource = App });
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        Assert.DoesNotContain(await fixture.DeliveriesAsync(refs[0].Seq), d => d.SubscriptionId == subscription);
    }

    [Fact]
    public async Task AlternativeSubject_MatchesASubscriptionOnThePartyItResolvesTo()
    {
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var onParty = await fixture.SubscribeAsync("/organisation/991825827", Generic, subject: "/party/50001", type: type);

        // Person 01017012345 is party 50001 in the register; the event's subject is something else.
        var refs = await fixture.StoreAsync(GenericEvent(type, "/something/else", alternativeSubject: "/person/01017012345"));
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        Assert.Contains(await fixture.DeliveriesAsync(refs[0].Seq), d => d.SubscriptionId == onParty && d.Status == "queued");
    }

    [Fact]
    public async Task IncludeSubunits_AMainUnitSubscriptionGetsItsSubunitsEvents_OnlyWhenAskedFor()
    {
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var withSubunits = await fixture.SubscribeAsync("/org/ttd", App, subject: "/party/50002", type: type, includeSubunits: true);
        var withoutSubunits = await fixture.SubscribeAsync("/org/ttd", App, subject: "/party/50002", type: type);

        // Party 50003 is a subunit of 50002.
        var refs = await fixture.StoreAsync(AppEvent(type, "apps-test", 50003));
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var deliveries = await fixture.DeliveriesAsync(refs[0].Seq);
        Assert.Contains(deliveries, d => d.SubscriptionId == withSubunits && d.Status == "queued");
        Assert.DoesNotContain(deliveries, d => d.SubscriptionId == withoutSubunits);
    }

    [Fact]
    public async Task UnauthorizedConsumer_IsRecordedWithTheReason_AndGetsNothing()
    {
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        // User 1339 holds no role for party 50001; user 1337 holds PRIV for it.
        var stranger = await fixture.SubscribeAsync("/user/1339", App, subject: "/party/50001", type: type);
        var holder = await fixture.SubscribeAsync("/user/1337", App, subject: "/party/50001", type: type);

        var refs = await fixture.StoreAsync(AppEvent(type, "apps-test", 50001));
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var deliveries = await fixture.DeliveriesAsync(refs[0].Seq);
        var denied = Assert.Single(deliveries, d => d.SubscriptionId == stranger);
        Assert.Equal("unauthorized", denied.Status);
        Assert.Contains("/user/1339 may not read", denied.Reason);
        Assert.Contains(deliveries, d => d.SubscriptionId == holder && d.Status == "queued");
        var outbound = await fixture.DrainOutboundAsync(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(outbound, d => d.SubscriptionId == stranger);
        Assert.Contains(outbound, d => d.SubscriptionId == holder);
    }

    [Fact]
    public async Task RedeliveredInboundMessage_ProducesNoSecondDelivery()
    {
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var subscription = await fixture.SubscribeAsync("/org/ttd", App, type: type);
        var refs = await fixture.StoreAsync(AppEvent(type, "apps-test", 50001), AppEvent(type, "apps-test", 50002));

        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var outbound = (await fixture.DrainOutboundAsync(TimeSpan.FromSeconds(2))).Where(d => d.SubscriptionId == subscription).ToList();
        Assert.Equal(refs.Select(r => r.Seq).Order(), outbound.Select(d => d.Seq).Order());
    }

    [Fact]
    public async Task UnreadableMessage_GoesToThePoisonQueueWithTheReason()
    {
        await fixture.Queues.Queue(fixture.Queues.Inbound).SendMessageAsync("{\"events\": \"not a list\"}");

        Assert.True(await TestQueues.EventuallyAsync(async () => (await fixture.Queues.PoisonedAsync(fixture.Queues.Inbound)).Length > 0, TimeSpan.FromSeconds(10)));
        var poisoned = Assert.Single(await fixture.Queues.PoisonedAsync(fixture.Queues.Inbound));
        Assert.Contains("not valid JSON", poisoned.Reason);
        Assert.Equal(1, poisoned.DequeueCount);
    }

    internal static NewEvent AppEvent(string type, string app, int party) =>
        new(Guid.NewGuid().ToString(), $"https://ttd.apps.altinn.no/ttd/{app}/instances/{party}/{Guid.NewGuid()}", $"urn:altinn:resource:app_ttd_{app}", type, $"/party/{party}", null, party, DateTimeOffset.UtcNow, "{}");

    internal static NewEvent GenericEvent(string type, string subject, string? alternativeSubject = null) =>
        new(Guid.NewGuid().ToString(), "https://tests.example/events", Generic, type, subject, alternativeSubject, null, DateTimeOffset.UtcNow, "{}");
}
