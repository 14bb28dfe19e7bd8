using System.Globalization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;

namespace Altinn.Events.IntegrationTests.Inbound;

/// <summary>
/// Subscriptions without a subject filter that cover every party their consumer holds rights for (issue 19): found for an
/// event through the reverse index of the roles table, then decided by the embedded PDP, through the real queues and
/// database. A matrix of consumers (user, organisation, system user), parties (main unit, subunit, person, clients) and
/// roles, for an app (read: DAGL, REGNA, PRIV) and a generic resource (subscribe: DAGL, PRIV).
/// </summary>
public sealed class AllPartiesInboundTests(InboundFixture fixture) : IClassFixture<InboundFixture>
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";
    private const string Generic = "urn:altinn:resource:ttd-events-test";

    public static TheoryData<string> Consumers => new()
    {
        "user",
        "organisation",
        "systemuser",
    };

    [Theory]
    [MemberData(nameof(Consumers))]
    public async Task AllPartySubscription_GetsExactlyTheEventsOfPartiesItsRolesPermit(string kind)
    {
        var parties = new TestParties(fixture.Database.DataSource);
        var consumer = kind switch
        {
            "user" => $"/user/{TestParties.NextId()}",
            "organisation" => $"/organisation/{(800_000_000 + TestParties.NextId() % 100_000_000).ToString(CultureInfo.InvariantCulture)}",
            _ => $"/systemuser/{Guid.NewGuid()}",
        };
        var other = $"/user/{TestParties.NextId()}";

        var mainUnit = await parties.OrganisationAsync();
        var subunit = await parties.OrganisationAsync(mainUnit);
        var person = await parties.PersonAsync();
        var client = await parties.OrganisationAsync();
        var otherRole = await parties.OrganisationAsync();
        var stranger = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, mainUnit, "DAGL");
        await parties.GrantAsync(consumer, person, "PRIV");
        await parties.GrantAsync(consumer, client, "REGNA");
        await parties.GrantAsync(consumer, otherRole, "UTINN");
        await parties.GrantAsync(other, stranger, "DAGL");

        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var onApp = await fixture.SubscribeAsync(consumer, App, type: type, allParties: true);
        var onGeneric = await fixture.SubscribeAsync(consumer, Generic, type: type, allParties: true);

        int[] all = [mainUnit, subunit, person, client, otherRole, stranger];
        var events = all.Select(p => AppEvent(type, p)).Concat(all.Select(p => GenericEvent(type, p))).ToArray();
        var refs = await fixture.StoreAsync(events);
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var bySeq = refs.Select(r => r.Seq).ToArray();
        async Task<string?> StatusAsync(Guid subscription, int index) =>
            (await fixture.DeliveriesAsync(bySeq[index])).Where(d => d.SubscriptionId == subscription).Select(d => d.Status).SingleOrDefault();

        // App events (index 0..5): DAGL, PRIV and REGNA read; UTINN is in the index but the PDP denies it; the subunit
        // (no role of its own) and a party only someone else acts for are never matched at all.
        Assert.Equal("queued", await StatusAsync(onApp, 0));
        Assert.Null(await StatusAsync(onApp, 1));
        Assert.Equal("queued", await StatusAsync(onApp, 2));
        Assert.Equal("queued", await StatusAsync(onApp, 3));
        Assert.Equal("unauthorized", await StatusAsync(onApp, 4));
        Assert.Null(await StatusAsync(onApp, 5));

        // Generic events (index 6..11): DAGL and PRIV subscribe; REGNA does not on this resource.
        Assert.Equal("queued", await StatusAsync(onGeneric, 6));
        Assert.Null(await StatusAsync(onGeneric, 7));
        Assert.Equal("queued", await StatusAsync(onGeneric, 8));
        Assert.Equal("unauthorized", await StatusAsync(onGeneric, 9));
        Assert.Equal("unauthorized", await StatusAsync(onGeneric, 10));
        Assert.Null(await StatusAsync(onGeneric, 11));

        // Never across resources, and the outbound queue carries exactly the queued ones.
        Assert.Null(await StatusAsync(onApp, 6));
        Assert.Null(await StatusAsync(onGeneric, 0));
        var outbound = (await fixture.DrainOutboundAsync(TimeSpan.FromSeconds(1))).Where(d => d.SubscriptionId == onApp || d.SubscriptionId == onGeneric).ToList();
        Assert.Equal(
            new HashSet<(Guid, long)> { (onApp, bySeq[0]), (onApp, bySeq[2]), (onApp, bySeq[3]), (onGeneric, bySeq[6]), (onGeneric, bySeq[8]) },
            outbound.Select(d => (d.SubscriptionId, d.Seq)).ToHashSet());
    }

    [Fact]
    public async Task AllPartySubscription_FollowsGrantsAndWithdrawals_AtTheNextEvent()
    {
        var parties = new TestParties(fixture.Database.DataSource);
        var consumer = $"/user/{TestParties.NextId()}";
        var party = await parties.OrganisationAsync();
        var type = "t." + Guid.NewGuid().ToString("N")[..8];
        var subscription = await fixture.SubscribeAsync(consumer, App, type: type, allParties: true);

        async Task<string?> PublishAndMatchAsync()
        {
            var refs = await fixture.StoreAsync(AppEvent(type, party));
            await fixture.SendInboundAsync(refs);
            await fixture.WaitForInboundAsync();
            return (await fixture.DeliveriesAsync(refs[0].Seq)).Where(d => d.SubscriptionId == subscription).Select(d => d.Status).SingleOrDefault();
        }

        Assert.Null(await PublishAndMatchAsync());
        await parties.GrantAsync(consumer, party, "REGNA");
        Assert.Equal("queued", await PublishAndMatchAsync());
        await parties.WithdrawAsync(consumer, party);
        Assert.Null(await PublishAndMatchAsync());
    }

    [Fact]
    public async Task AllPartySubscriptions_AreNotFoundByTheSubjectlessProbe_AndPlainOnesStillAre()
    {
        var parties = new TestParties(fixture.Database.DataSource);
        var consumer = $"/user/{TestParties.NextId()}";
        var party = await parties.OrganisationAsync();
        var type = "t." + Guid.NewGuid().ToString("N")[..8];

        // The consumer holds no right for the party: an all-party subscription is not even a candidate; a service owner's
        // subscription without a subject (every event of its app) still is.
        var allParties = await fixture.SubscribeAsync(consumer, App, type: type, allParties: true);
        var owner = await fixture.SubscribeAsync("/org/ttd", App, type: type);
        var refs = await fixture.StoreAsync(AppEvent(type, party));
        await fixture.SendInboundAsync(refs);
        await fixture.WaitForInboundAsync();

        var deliveries = await fixture.DeliveriesAsync(refs[0].Seq);
        Assert.DoesNotContain(deliveries, d => d.SubscriptionId == allParties);
        Assert.Contains(deliveries, d => d.SubscriptionId == owner && d.Status == "queued");
    }

    private static NewEvent AppEvent(string type, int party) =>
        new(Guid.NewGuid().ToString(), $"https://ttd.apps.altinn.no/ttd/apps-test/instances/{party}/{Guid.NewGuid()}", App, type, $"/party/{party}", null, party, DateTimeOffset.UtcNow, "{}");

    private static NewEvent GenericEvent(string type, int party) =>
        new(Guid.NewGuid().ToString(), "https://tests.example/events", Generic, type, $"/party/{party}", null, party, DateTimeOffset.UtcNow, "{}");
}
