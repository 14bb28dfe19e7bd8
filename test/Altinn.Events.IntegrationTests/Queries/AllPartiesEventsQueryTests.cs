using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Persistence.Events;
using Dapper;

namespace Altinn.Events.IntegrationTests.Queries;

/// <summary>
/// <c>GET /events</c> without <c>subject</c> for a role holder of a generic resource (issue 19): the events of exactly the
/// parties it may subscribe to (found through the reverse index, each decided by the embedded PDP), never another
/// party's, and nothing in the pages or their <c>next</c> cursors that depends on the events it may not see: the same walk
/// with every hidden event deleted from the store gives the same pages and the same cursors.
/// </summary>
public sealed class AllPartiesEventsQueryTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Generic = "urn:altinn:resource:ttd-events-test";
    private const string App = "urn:altinn:resource:app_ttd_apps-test";

    [Theory]
    [InlineData(3)]
    [InlineData(70)] // more than EventReader.MaxPartyProbes: the holder index, with the resource as a filter
    public async Task WithoutSubject_ReturnsTheEventsOfEveryPartyTheHolderMaySubscribeTo_AndTheCursorsDoNotDependOnHiddenEvents(int clients)
    {
        // The matrix. The generic resource's policy lets DAGL and PRIV of a party subscribe to its events; REGNA not.
        var parties = new TestParties(api.Database.DataSource);
        var userId = TestParties.NextId();
        var consumer = $"/user/{userId}";
        var own = await parties.PersonAsync(userId);
        await parties.GrantAsync(consumer, own, "PRIV");
        var mainUnit = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, mainUnit, "DAGL");
        var subunitWithRole = await parties.OrganisationAsync(mainUnit);
        await parties.GrantAsync(consumer, subunitWithRole, "DAGL");
        var subunitWithoutRole = await parties.OrganisationAsync(mainUnit); // a main unit's role is not the subunit's
        var readable = new List<int> { own, mainUnit, subunitWithRole };
        for (var i = 0; i < clients; i++)
        {
            var client = await parties.OrganisationAsync();
            await parties.GrantAsync(consumer, client, "DAGL");
            readable.Add(client);
        }

        var accountantOnly = await parties.OrganisationAsync();
        await parties.GrantAsync(consumer, accountantOnly, "REGNA"); // a role the policy does not grant: in the index, denied
        var strangerOrganisation = await parties.OrganisationAsync();
        await parties.GrantAsync($"/user/{TestParties.NextId()}", strangerOrganisation, "DAGL");
        var strangerPerson = await parties.PersonAsync(TestParties.NextId());
        await parties.GrantAsync($"/user/{TestParties.NextId()}", strangerPerson, "PRIV");
        int[] hiddenParties = [subunitWithoutRole, accountantOnly, strangerOrganisation, strangerPerson];

        var type = CursorTests.UniqueType();
        var first = GenericEvent(type, readable[0]); // the walk starts after it: a visible event, so the start is the same in both stores
        var expected = new List<string>();
        var hidden = new List<string>();
        var events = new List<NewEvent> { first };
        for (var round = 0; round < 3; round++)
        {
            foreach (var party in hiddenParties)
            {
                events.Add(GenericEvent(type, party));
                hidden.Add(events[^1].Id);
            }

            foreach (var party in readable)
            {
                events.Add(GenericEvent(type, party));
                expected.Add(events[^1].Id);
            }

            // The same readable parties in an app's events, and an event about no party: not the query's.
            events.Add(new(Guid.NewGuid().ToString(), $"https://ttd.apps.altinn.no/ttd/apps-test/instances/{own}/{Guid.NewGuid()}", App, type, $"/party/{own}", null, own, DateTimeOffset.UtcNow, string.Empty));
            hidden.Add(events[^1].Id);
            events.Add(new(Guid.NewGuid().ToString(), "https://tests.example/events", Generic, type, "/order/4711", null, null, DateTimeOffset.UtcNow, string.Empty));
            hidden.Add(events[^1].Id);
        }

        events.Add(GenericEvent(type, readable[^1])); // the newest event is visible too: the end of the store is the same in both
        expected.Add(events[^1].Id);
        await StoreAsync(events);

        using var user = api.Client(TestTokens.ForUser(userId, own));
        var query = $"/events?resource={Uri.EscapeDataString(Generic)}&type={type}&after={first.Id}";
        int[] sizes = [1000, 7, 1];
        var withHidden = new List<List<PageResult>>();
        foreach (var size in sizes)
        {
            var pages = await PagesAsync(user, $"{query}&size={size}");
            Assert.Equal(expected, pages.SelectMany(p => p.Ids));
            withHidden.Add(pages);
        }

        // The same as asking subject by subject, and nothing of a party the caller may not see.
        var bySubject = new List<string>();
        foreach (var party in readable)
        {
            bySubject.AddRange(await CursorTests.WalkAsync(user, query + $"&subject=/party/{party}&size=1000"));
        }

        Assert.Equal(expected.Order(), bySubject.Order());
        foreach (var party in hiddenParties)
        {
            Assert.Empty(await CursorTests.WalkAsync(user, query + $"&subject=/party/{party}&size=1000"));
        }

        // Delete every hidden event: the caller's pages, cursors included, are exactly what they were.
        await using (var connection = await api.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("DELETE FROM outbox o USING events e WHERE o.seq = e.seq AND e.id = ANY(@hidden)", new { hidden = hidden.ToArray() });
            Assert.Equal(hidden.Count, await connection.ExecuteAsync("DELETE FROM events WHERE id = ANY(@hidden)", new { hidden = hidden.ToArray() }));
        }

        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(withHidden[i], await PagesAsync(user, $"{query}&size={sizes[i]}"));
        }
    }

    [Fact]
    public async Task WithoutSubject_FollowsAGrantMidWayAndItsWithdrawal()
    {
        var parties = new TestParties(api.Database.DataSource);
        var userId = TestParties.NextId();
        var consumer = $"/user/{userId}";
        var own = await parties.PersonAsync(userId);
        await parties.GrantAsync(consumer, own, "PRIV");
        var client = await parties.OrganisationAsync();
        var subunit = await parties.OrganisationAsync(client);
        var type = CursorTests.UniqueType();
        var before = new[] { GenericEvent(type, own), GenericEvent(type, client), GenericEvent(type, subunit) };
        await StoreAsync(before);
        using var user = api.Client(TestTokens.ForUser(userId, own));
        var query = $"/events?resource={Uri.EscapeDataString(Generic)}&type={type}&after=0&size=1000";

        Assert.Equal([before[0].Id], await CursorTests.WalkAsync(user, query));

        // Granted mid-way: the client's events count from the next query on, those stored before the grant too (rights are
        // decided when read); its subunit holds no role of its own and stays hidden.
        await parties.GrantAsync(consumer, client, "DAGL");
        var after = new[] { GenericEvent(type, client), GenericEvent(type, subunit), GenericEvent(type, own) };
        await StoreAsync(after);
        Assert.Equal([before[0].Id, before[1].Id, after[0].Id, after[2].Id], await CursorTests.WalkAsync(user, query));

        // Withdrawn: none of the client's events, from the next query on; a cursor taken while granted still skips nothing.
        var page = await CursorTests.PageAsync(user, query.Replace("size=1000", "size=1", StringComparison.Ordinal));
        await parties.WithdrawAsync(consumer, client);
        Assert.Equal([before[0].Id, after[2].Id], await CursorTests.WalkAsync(user, query));
        Assert.Equal([after[2].Id], await CursorTests.WalkAsync(user, $"/events?resource={Uri.EscapeDataString(Generic)}&type={type}&cursor={page.Cursor}&size=1000"));

        // Without any role left for anyone's party: an empty page, no next, as for a caller who never held one.
        await parties.WithdrawAsync(consumer, own);
        var none = await CursorTests.PageAsync(user, query);
        Assert.Empty(none.Ids);
        Assert.Null(none.Cursor);
    }

    [Fact]
    public async Task WithoutSubject_AnOrganisationWithARightOnTheWholeResource_StillGetsEveryEventOfIt()
    {
        // The policy lets the organisation 991825827 subscribe to the resource as a whole: events about no party included.
        var parties = new TestParties(api.Database.DataSource);
        var party = await parties.OrganisationAsync();
        var type = CursorTests.UniqueType();
        NewEvent[] events = [GenericEvent(type, party), new(Guid.NewGuid().ToString(), "https://tests.example/events", Generic, type, "/order/4711", null, null, DateTimeOffset.UtcNow, string.Empty)];
        await StoreAsync(events);
        using var organisation = api.Client(TestTokens.ForOrganisation("991825827"));

        Assert.Equal(events.Select(e => e.Id), await CursorTests.WalkAsync(organisation, $"/events?resource={Uri.EscapeDataString(Generic)}&type={type}&after=0"));
    }

    private static NewEvent GenericEvent(string type, int party) =>
        new(Guid.NewGuid().ToString(), "https://tests.example/events", Generic, type, $"/party/{party}", null, party, DateTimeOffset.UtcNow, string.Empty);

    // The stored CloudEvent is what a page returns; the id is all these tests read of it.
    private async Task StoreAsync(IReadOnlyList<NewEvent> events)
    {
        NewEvent[] withPayloads = [.. events.Select(e => e with { CloudEvent = new JsonObject { ["id"] = e.Id }.ToJsonString() })];
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await EventStore.InsertAsync(connection, tx, withPayloads, TimeProvider.System, CancellationToken.None);
        await tx.CommitAsync();
    }

    // Every page of a walk (ids and the cursor of its next link), until one comes back without next.
    private static async Task<List<PageResult>> PagesAsync(HttpClient client, string query)
    {
        var pages = new List<PageResult>();
        string? url = query;
        while (url is not null)
        {
            Assert.True(pages.Count < 500, "the walk did not end");
            var response = await client.GetAsync(url.StartsWith("http", StringComparison.Ordinal) ? url : "/events/api/v1" + url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ids = (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(e => (string)e!["id"]!).ToList();
            url = response.Headers.TryGetValues("next", out var next) ? next.Single() : null;
            pages.Add(new PageResult(ids, url is null ? null : System.Web.HttpUtility.ParseQueryString(new Uri(url).Query)["cursor"]));
        }

        return pages;
    }
}
