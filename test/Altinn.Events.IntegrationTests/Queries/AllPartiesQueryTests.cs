using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Altinn.Events.IntegrationTests.Queries;

/// <summary>
/// <c>GET /app/party</c> without party, unit or person: the app events of every party the caller may read, found through
/// the reverse index of the roles table, each decided by the embedded PDP, paged with the opaque cursor (issue 19). With
/// more than <see cref="EventReader.MaxPartyProbes"/> parties the local register's holder index answers.
/// </summary>
public sealed class AllPartiesQueryTests(SmallBudgetApiFixture api) : AllPartiesQueryCases(api), IClassFixture<SmallBudgetApiFixture>;

/// <summary>
/// The same cases with rights the store does not index (as the platform's register: <see cref="IAuthorizedParties.IndexedByHolder"/>
/// false), so a caller with more than <see cref="EventReader.MaxPartyProbes"/> parties walks the store's sequence with
/// its parties as a filter.
/// </summary>
public sealed class AllPartiesUnindexedQueryTests(UnindexedRegisterApiFixture api) : AllPartiesQueryCases(api), IClassFixture<UnindexedRegisterApiFixture>;

/// <summary>The API with the small scan budget of <see cref="SmallBudgetApiFixture"/>, whose rights the store does not index.</summary>
public sealed class UnindexedRegisterApiFixture : ApiFixture
{
    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["Queries:MaxExamined"] = SmallBudgetApiFixture.Budget.ToString(System.Globalization.CultureInfo.InvariantCulture);

    protected override void ConfigureServices(IServiceCollection services)
    {
        var local = services.Last(d => d.ServiceType == typeof(IAuthorizedParties));
        services.Remove(local);
        services.AddSingleton<IAuthorizedParties>(sp => new Unindexed((IAuthorizedParties)(local.ImplementationFactory?.Invoke(sp) ?? ActivatorUtilities.CreateInstance(sp, local.ImplementationType!))));
    }

    // The local tables' answers, without the claim that the store indexes them (the interface's defaults).
    private sealed class Unindexed(IAuthorizedParties inner) : IAuthorizedParties
    {
        public Task<IReadOnlyDictionary<int, IReadOnlyList<string>>> GetRightHoldersAsync(IReadOnlyCollection<int> partyIds, CancellationToken cancellationToken) =>
            inner.GetRightHoldersAsync(partyIds, cancellationToken);

        public Task<IReadOnlyList<int>> GetPartiesAsync(string consumer, CancellationToken cancellationToken) => inner.GetPartiesAsync(consumer, cancellationToken);
    }
}

public abstract class AllPartiesQueryCases(ApiFixture api)
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";
    private const string Generic = "urn:altinn:resource:ttd-events-test";

    [Theory]
    [InlineData(3)]
    [InlineData(70)] // more than EventReader.MaxPartyProbes
    public async Task WithoutParty_ReturnsTheAppEventsOfEveryPartyTheCallerMayRead_AndNothingOfOthers(int clients)
    {
        var parties = new TestParties(api.Database.DataSource);
        var userId = TestParties.NextId();
        var own = await parties.PersonAsync(userId);
        var consumer = $"/user/{userId}";
        await parties.GrantAsync(consumer, own, "PRIV");
        var mainUnit = await parties.OrganisationAsync();
        var subunit = await parties.OrganisationAsync(mainUnit);
        await parties.GrantAsync(consumer, mainUnit, "DAGL");
        var readable = new List<int> { own, mainUnit };
        for (var i = 0; i < clients; i++)
        {
            var client = await parties.OrganisationAsync();
            await parties.GrantAsync(consumer, client, "REGNA");
            readable.Add(client);
        }

        // A role the app's policy does not grant, a party someone else acts for, and the subunit (no role of its own).
        var otherRole = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, otherRole, "UTINN");
        var stranger = await parties.OrganisationAsync();
        await parties.GrantAsync($"/user/{TestParties.NextId()}", stranger, "DAGL");
        int[] hiddenParties = [otherRole, stranger, subunit];

        var type = CursorTests.UniqueType();
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var expected = new List<string>();
        var hidden = new List<string>();
        var events = new List<NewEvent>();
        for (var round = 0; round < 2; round++)
        {
            foreach (var party in readable)
            {
                events.Add(AppEvent(type, party));
                expected.Add(events[^1].Id);
            }

            foreach (var party in hiddenParties)
            {
                events.Add(AppEvent(type, party));
                hidden.Add(events[^1].Id);
            }

            // Generic events about a readable party are not app events.
            var genericId = Guid.NewGuid().ToString();
            events.Add(new(genericId, "https://tests.example/events", Generic, type, $"/party/{mainUnit}", null, mainUnit, DateTimeOffset.UtcNow, Payload(genericId)));
            hidden.Add(events[^1].Id);
        }

        await StoreAsync(events);
        using var user = api.Client(TestTokens.ForUser(userId, own));
        var query = $"/app/party?from={Uri.EscapeDataString(from.ToString("O"))}&type={type}";

        // Big pages (ended by the scan budget of this fixture) and small ones, through the cursor: the same events, in
        // store order, none hidden.
        Assert.Equal(expected, await CursorTests.WalkAsync(user, query + "&size=1000"));
        var (walked, links) = await WalkWithLinksAsync(user, query + "&size=7");
        Assert.Equal(expected, walked);
        Assert.All(links, link => Assert.All(hidden, id => Assert.DoesNotContain(id, link, StringComparison.Ordinal)));

        // The same as asking party by party.
        var byParty = new List<string>();
        foreach (var party in readable)
        {
            byParty.AddRange(await CursorTests.WalkAsync(user, query + $"&party={party}&size=1000"));
        }

        Assert.Equal(expected.Order(), byParty.Order());
    }

    [Fact]
    public async Task WithoutParty_ManyParties_TheirEventsAFewAmongOthers_EveryPageSizeAndCursorSeesEachOnce()
    {
        // More parties than EventReader.MaxPartyProbes: the holder index, or a walk of the store's sequence that stops at
        // the rows its filters keep. Here they are a few among many others, some kept by the party filter but refused by the decision point
        // (a role the policy does not grant), with a stretch longer than the scan budget holding none of them.
        var parties = new TestParties(api.Database.DataSource);
        var userId = TestParties.NextId();
        var own = await parties.PersonAsync(userId);
        var consumer = $"/user/{userId}";
        await parties.GrantAsync(consumer, own, "PRIV");
        var clients = new List<int>();
        for (var i = 0; i < 70; i++)
        {
            var client = await parties.OrganisationAsync();
            await parties.GrantAsync(consumer, client, "REGNA");
            clients.Add(client);
        }

        var refused = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, refused, "UTINN");
        var stranger = await parties.OrganisationAsync();
        await parties.GrantAsync($"/user/{TestParties.NextId()}", stranger, "DAGL");

        var type = CursorTests.UniqueType();
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var expected = new List<string>();
        var events = new List<NewEvent>();
        for (var i = 0; i < 700; i++)
        {
            var party = i >= 300 && i < 300 + (3 * SmallBudgetApiFixture.Budget) ? stranger
                : i % 23 == 0 ? clients[i % clients.Count]
                : i % 31 == 0 ? refused
                : stranger;
            events.Add(AppEvent(type, party));
            if (party != stranger && party != refused)
            {
                expected.Add(events[^1].Id);
            }
        }

        await StoreAsync(events);
        using var user = api.Client(TestTokens.ForUser(userId, own));
        var query = $"/app/party?from={Uri.EscapeDataString(from.ToString("O"))}&type={type}";

        foreach (var size in new[] { 1, 2, 5, 16, 17, 1000 })
        {
            Assert.Equal(expected, await CursorTests.WalkAsync(user, query + $"&size={size}", maxPages: 500));
        }

        // After the id of one of them: the rest, in order.
        Assert.Equal(expected.Skip(4), await CursorTests.WalkAsync(user, $"/app/party?after={expected[3]}&type={type}&size=3", maxPages: 500));
    }

    [Fact]
    public async Task WithoutParty_FollowsGrantsAndWithdrawals_AndACallerWithoutRightsGetsAnEmptyPage()
    {
        var parties = new TestParties(api.Database.DataSource);
        var userId = TestParties.NextId();
        var own = await parties.PersonAsync(userId);
        var client = await parties.OrganisationAsync();
        var type = CursorTests.UniqueType();
        var from = DateTimeOffset.UtcNow.AddSeconds(-1);
        var e = AppEvent(type, client);
        await StoreAsync([e]);
        using var user = api.Client(TestTokens.ForUser(userId, own));
        var query = $"/app/party?from={Uri.EscapeDataString(from.ToString("O"))}&type={type}";

        var none = await CursorTests.PageAsync(user, query);
        Assert.Empty(none.Ids);
        Assert.Null(none.Cursor);

        await parties.GrantAsync($"/user/{userId}", client, "REGNA");
        Assert.Equal([e.Id], (await CursorTests.PageAsync(user, query)).Ids);

        await parties.WithdrawAsync($"/user/{userId}", client);
        Assert.Empty((await CursorTests.PageAsync(user, query)).Ids);
    }

    [Fact]
    public async Task WithoutParty_StillRefusesBadCombinations()
    {
        using var user = api.Client(TestTokens.ForUser(1337, 50001));
        var response = await user.GetAsync("/events/api/v1/app/party?after=0&party=50001&unit=991825827");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().ContainsKey("party"));
    }

    /// <summary>An event of the test app about <paramref name="party"/>, its stored CloudEvent holding only its id.</summary>
    internal static NewEvent AppEvent(string type, int party)
    {
        var id = Guid.NewGuid().ToString();
        return new(id, $"https://ttd.apps.altinn.no/ttd/apps-test/instances/{party}/{Guid.NewGuid()}", App, type, $"/party/{party}", null, party, DateTimeOffset.UtcNow, Payload(id));
    }

    // The stored CloudEvent is what a page returns; the id is all these tests read of it.
    private static string Payload(string id) => new JsonObject { ["id"] = id }.ToJsonString();

    private Task StoreAsync(IReadOnlyList<NewEvent> events) => StoreAsync(api.Database.DataSource, events);

    /// <summary>Stores <paramref name="events"/> in one transaction, as the writer does.</summary>
    internal static async Task StoreAsync(NpgsqlDataSource dataSource, IReadOnlyList<NewEvent> events)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await EventStore.InsertAsync(connection, tx, [.. events], TimeProvider.System, CancellationToken.None);
        await tx.CommitAsync();
    }

    private static async Task<(List<string> Ids, List<string> Links)> WalkWithLinksAsync(HttpClient client, string query)
    {
        var ids = new List<string>();
        var links = new List<string>();
        string? url = "/events/api/v1" + query;
        for (var pages = 0; url is not null && pages < 500; pages++)
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.AddRange((await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(e => (string)e!["id"]!));
            url = response.Headers.TryGetValues("next", out var next) ? next.Single() : null;
            if (url is not null)
            {
                links.Add(url);
            }
        }

        return (ids, links);
    }
}
