using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Queries;

/// <summary>The three query endpoints: filters, paging, freshness and authorization, against the real store and PDP.</summary>
public sealed class QueryTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Base = "/events/api/v1";

    [Fact]
    public async Task Events_FilterByResourceSubjectTypeAndAlternativeSubject()
    {
        var type = UniqueType();
        var a = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50001"));
        var b = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50002").With("alternativesubject", "/organisation/991825827"));
        var c = await PublishAsync(EventBuilder.Generic().With("type", type + ".other").With("subject", "/party/50001"));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal([a, b], await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&after=0&type={type}"));
        Assert.Equal([a, b, c], await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&after=0&type={type}&type={type}.other"));
        Assert.Equal([a], await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&after=0&type={type}&subject=/party/50001"));
        Assert.Equal([b], await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&after=0&type={type}", ("Altinn-AlternativeSubject", "/organisation/991825827")));
        Assert.Empty(await IdsAsync(client, $"/events?resource=urn:altinn:resource:another&after=0&type={type}"));
    }

    [Fact]
    public async Task Events_FromAndTo_BoundByRegistrationTime()
    {
        var type = UniqueType();
        var before = await PublishAsync(EventBuilder.Generic().With("type", type));
        await Task.Delay(50);
        var from = DateTimeOffset.UtcNow;
        var inside = await PublishAsync(EventBuilder.Generic().With("type", type));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var fromOnly = await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&from={Uri.EscapeDataString(from.ToString("O"))}");
        var toOnly = await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&from=2000-01-01T00:00:00Z&to={Uri.EscapeDataString(from.ToString("O"))}");

        Assert.Equal([inside], fromOnly);
        Assert.Equal([before], toOnly);
    }

    [Fact]
    public async Task Paging_WithNext_WalksEveryEventOnceInOrder_AndEndsWithoutNext()
    {
        var type = UniqueType();
        var published = new List<string>();
        for (var i = 0; i < 23; i++)
        {
            published.Add(await PublishAsync(EventBuilder.Generic().With("type", type)));
        }

        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var seen = new List<string>();
        string? url = $"{Base}/events?resource={EventBuilder.TestResource}&type={type}&after=none-yet&size=5";
        var pages = 0;
        while (url is not null && pages++ < 20)
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ids = Ids(await response.Content.ReadFromJsonAsync<JsonArray>());
            Assert.True(ids.Count <= 5);
            seen.AddRange(ids);
            url = response.Headers.TryGetValues("next", out var next) ? next.Single() : null;
            if (ids.Count == 0)
            {
                Assert.Null(url);
            }
            else
            {
                // An opaque position replaces the event id: ids are not unique, positions are.
                Assert.Contains("cursor=", url);
                Assert.DoesNotContain("after=", url);
                Assert.Contains($"type={type}", url);
            }
        }

        Assert.Equal(published, seen);
    }

    [Fact]
    public async Task Size_DefaultsTo50_AndIsCappedAt1000()
    {
        var type = UniqueType();
        using var publisher = api.Client(TestTokens.ForOrg("ttd"));
        var batch = new JsonArray([.. Enumerable.Range(0, 60).Select(_ => (JsonNode)EventBuilder.Generic().With("type", type).Build())]);
        Assert.Equal(HttpStatusCode.OK, (await publisher.PostAsync($"{Base}/events", new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/cloudevents-batch+json"))).StatusCode);

        Assert.Equal(50, (await IdsAsync(publisher, $"/events?resource={EventBuilder.TestResource}&type={type}&after=0")).Count);
        Assert.Equal(60, (await IdsAsync(publisher, $"/events?resource={EventBuilder.TestResource}&type={type}&after=0&size=5000")).Count);
    }

    [Fact]
    public async Task AfterAnIdNotStored_StartsFromTheOldestRetainedEvent()
    {
        var type = UniqueType();
        var first = await PublishAsync(EventBuilder.Generic().With("type", type));
        var second = await PublishAsync(EventBuilder.Generic().With("type", type));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal([first, second], await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&after={Guid.NewGuid()}"));
        Assert.Equal([second], await IdsAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&after={first}"));
    }

    [Fact]
    public async Task Poller_WhileTenWritersPublish_SeesEveryEventOnce_EachWithinASecondOfItsCommit()
    {
        var type = UniqueType();
        var committedAt = new ConcurrentDictionary<string, long>();
        var seenAt = new Dictionary<string, long>();
        var duplicates = 0;
        using var cts = new CancellationTokenSource();
        using var pollClient = api.Client(TestTokens.ForOrg("ttd"));
        var clock = Stopwatch.StartNew();

        var poller = Task.Run(async () =>
        {
            var url = $"{Base}/events?resource={EventBuilder.TestResource}&type={type}&after=start&size=100";
            while (!cts.IsCancellationRequested)
            {
                var response = await pollClient.GetAsync(url);
                var ids = Ids(await response.Content.ReadFromJsonAsync<JsonArray>());
                foreach (var id in ids)
                {
                    if (!seenAt.TryAdd(id, clock.ElapsedMilliseconds))
                    {
                        duplicates++;
                    }
                }

                if (response.Headers.TryGetValues("next", out var next))
                {
                    url = next.Single();
                }

                if (ids.Count == 0)
                {
                    await Task.Delay(20);
                }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 10).Select(w => Task.Run(async () =>
        {
            using var client = api.Client(TestTokens.ForOrg("ttd"));
            var random = new Random(w);
            for (var i = 0; i < 40; i++)
            {
                var e = EventBuilder.Generic().With("type", type);
                var response = await client.PostAsync($"{Base}/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                committedAt[e.Id] = clock.ElapsedMilliseconds;
                await Task.Delay(random.Next(0, 15));
            }
        })));

        await TestQueues.EventuallyAsync(() => Task.FromResult(seenAt.Count >= committedAt.Count), TimeSpan.FromSeconds(10));
        await cts.CancelAsync();
        await poller;

        Assert.Equal(0, duplicates);
        Assert.Equal(committedAt.Keys.Order(), seenAt.Keys.Order());
        var late = committedAt.Where(c => seenAt[c.Key] - c.Value > 1000).Select(c => $"{c.Key}: {seenAt[c.Key] - c.Value} ms").ToList();
        Assert.True(late.Count == 0, string.Join(", ", late));
    }

    [Fact]
    public async Task AppOwner_ReadsAllEventsOfItsApp_FilteredByPartyUnitOrPerson()
    {
        var type = UniqueType();
        var p1 = await PublishAppAsync(50001, type);
        var p2 = await PublishAppAsync(50002, type);
        using var owner = api.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal([p1, p2], await IdsAsync(owner, $"/app/ttd/apps-test?after=0&type={type}"));
        Assert.Equal([p2], await IdsAsync(owner, $"/app/ttd/apps-test?after=0&type={type}&party=50002"));
        Assert.Equal([p2], await IdsAsync(owner, $"/app/ttd/apps-test?after=0&type={type}&unit=991825827"));
        Assert.Equal([p1], await IdsAsync(owner, $"/app/ttd/apps-test?after=0&type={type}", ("person", "01017012345")));
        Assert.Empty(await IdsAsync(owner, $"/app/ttd/apps-test?after=0&type={type}", ("person", "31129912345")));
    }

    [Fact]
    public async Task AppEvents_OfAnotherOrgsApp_Return403()
    {
        using var other = api.Client(TestTokens.ForOrg("nav"));
        using var user = api.Client(TestTokens.ForUser(1337, 50001));

        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"{Base}/app/ttd/apps-test?after=0")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync($"{Base}/app/ttd/apps-test?after=0")).StatusCode);
    }

    [Fact]
    public async Task PartyEvents_FilterBySourceWithWildcards_AndByType()
    {
        var type = UniqueType();
        var e = EventBuilder.App(partyId: 50001).With("type", type);
        var id = await PublishAppAsync(e);
        await PublishAppAsync(50001, type + ".other");
        var guid = ((string)e.Build()["source"]!).Split('/')[^1];
        using var user = api.Client(TestTokens.ForUser(1337, 50001));

        Assert.Equal([id], await IdsAsync(user, $"/app/party?party=50001&after=0&type={type}"));
        Assert.Equal([id], await IdsAsync(user, $"/app/party?party=50001&after=0&type={type}&type={type}.other&source={Uri.EscapeDataString($"%/instances/50001/{guid}")}"));
        Assert.Equal([id], await IdsAsync(user, $"/app/party?party=50001&after=0&type={type}&source={Uri.EscapeDataString("https://ttd.apps.altinn.no/ttd/apps-tes_/%")}"));
        Assert.Empty(await IdsAsync(user, $"/app/party?party=50001&after=0&type={type}&source={Uri.EscapeDataString("https://ttd.apps.altinn.no/ttd/other/%")}"));
    }

    [Fact]
    public async Task ConsumerWithoutRightsForAParty_SeesNoneOfItsEvents_ThroughAnyEndpoint_AndOneWithRightsSeesAll()
    {
        var type = UniqueType();
        var generic = new List<string>();
        var app = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            generic.Add(await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50001")));
            app.Add(await PublishAppAsync(50001, type));
        }

        // User 1339 holds no role for party 50001; user 1337 holds PRIV for it.
        using var stranger = api.Client(TestTokens.ForUser(1339, 50004));
        using var holder = api.Client(TestTokens.ForUser(1337, 50001));

        Assert.Empty(await WalkAsync(stranger, $"/events?resource={EventBuilder.TestResource}&type={type}&after=0&size=3"));
        Assert.Empty(await WalkAsync(stranger, $"/app/party?party=50001&type={type}&after=0&size=3"));
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync($"{Base}/app/ttd/apps-test?after=0&type={type}")).StatusCode);

        Assert.Equal(generic, await WalkAsync(holder, $"/events?resource={EventBuilder.TestResource}&type={type}&after=0&size=3"));
        Assert.Equal(app, await WalkAsync(holder, $"/app/party?party=50001&type={type}&after=0&size=3"));
    }

    [Fact]
    public async Task Paging_AdvancesPastEventsTheCallerMayNotSee()
    {
        var type = UniqueType();
        var visible = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            // Mostly events about a party the caller has no role for, a visible one now and then.
            for (var j = 0; j < 4; j++)
            {
                await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50004"));
            }

            visible.Add(await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50001")));
        }

        using var holder = api.Client(TestTokens.ForUser(1337, 50001));

        Assert.Equal(visible, await WalkAsync(holder, $"/events?resource={EventBuilder.TestResource}&type={type}&after=0&size=2"));
    }

    public static TheoryData<string, string, string, string?> BadQueries => new()
    {
        { "neither after nor from", "/events?resource=urn:altinn:resource:ttd-events-test", "after", null },
        { "from without zone", "/events?resource=urn:altinn:resource:ttd-events-test&from=2024-01-01T00:00:00", "from", null },
        { "from not a time", "/events?resource=urn:altinn:resource:ttd-events-test&from=yesterday", "from", null },
        { "size zero", "/events?resource=urn:altinn:resource:ttd-events-test&after=0&size=0", "size", null },
        { "size not a number", "/events?resource=urn:altinn:resource:ttd-events-test&after=0&size=many", "size", null },
        { "resource missing", "/events?after=0", "resource", null },
        { "resource not a urn", "/events?after=0&resource=ttd-events-test", "resource", null },
        { "subject with alternative subject", "/events?resource=urn:altinn:resource:ttd-events-test&after=0&subject=/party/1", "Altinn-AlternativeSubject", "/person/01017012345" },
        { "unit not 9 digits", "/app/ttd/apps-test?after=0&unit=12345", "unit", null },
        { "party with unit", "/app/ttd/apps-test?after=0&party=50001&unit=991825827", "party", null },
        { "party with person", "/app/party?after=0&party=50001", "party", "01017012345" },
        { "party not a number", "/app/party?after=0&party=abc", "party", null },
        { "person not 11 digits", "/app/party?after=0", "person", "123" },
        { "unit not registered", "/app/party?after=0&unit=999999999", "unit", null },
        { "after given twice", "/events?resource=urn:altinn:resource:ttd-events-test&after=a&after=b", "after", null },
    };

    [Theory]
    [MemberData(nameof(BadQueries))]
    public async Task BadQuery_Returns400NamingTheParameter(string why, string query, string parameter, string? header)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + query);
        if (header is not null)
        {
            request.Headers.Add(parameter is "person" or "party" ? "person" : "Altinn-AlternativeSubject", header);
        }

        var response = await client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {response.StatusCode}");
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(parameter, out _), $"{why}: {errors}");
    }

    [Fact]
    public async Task AfterGivenTwice_SaysSo()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.GetAsync($"{Base}/events?resource=urn:altinn:resource:ttd-events-test&after=a&after=b");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Give after once", await response.Content.ReadAsStringAsync());
    }

    private static string UniqueType() => "test.query." + Guid.NewGuid().ToString("N")[..10];

    private async Task<string> PublishAsync(EventBuilder e)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var response = await client.PostAsync($"{Base}/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return e.Id;
    }

    private Task<string> PublishAppAsync(int partyId, string type) => PublishAppAsync(EventBuilder.App(partyId: partyId).With("type", type));

    private async Task<string> PublishAppAsync(EventBuilder e)
    {
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));
        var response = await client.PostAsync($"{Base}/app", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<string>())!;
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string query, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + query);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return Ids(await response.Content.ReadFromJsonAsync<JsonArray>());
    }

    /// <summary>Follows next until a page comes back without one; returns every id seen.</summary>
    private static async Task<List<string>> WalkAsync(HttpClient client, string query)
    {
        var seen = new List<string>();
        string? url = Base + query;
        for (var pages = 0; url is not null && pages < 100; pages++)
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange(Ids(await response.Content.ReadFromJsonAsync<JsonArray>()));
            url = response.Headers.TryGetValues("next", out var next) ? next.Single() : null;
        }

        return seen;
    }

    private static List<string> Ids(JsonArray? events) => [.. events!.Select(e => (string)e!["id"]!)];
}
