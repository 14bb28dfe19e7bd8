using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Queries;

/// <summary>
/// Cursors that never skip, and answers that say nothing about events the caller may not see: repeated ids, ids of
/// hidden events, a stranger probing a person's app events with source patterns, and pages bounded by the scan budget.
/// </summary>
public sealed class CursorTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Base = "/events/api/v1";

    [Fact]
    public async Task AfterAnIdTwoSourcesShare_ReturnsEveryEventAfterTheFirstOfThem()
    {
        // The issue's case: {id: dup, source: urn:a:1}, five more, {id: dup, source: urn:a:2}, all to one resource.
        var type = UniqueType();
        var dup = "dup-" + Guid.NewGuid().ToString("N");
        await PublishAsync(EventBuilder.Generic().With("id", dup).With("source", "urn:a:1").With("type", type));
        var five = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            five.Add(await PublishAsync(EventBuilder.Generic().With("type", type)));
        }

        await PublishAsync(EventBuilder.Generic().With("id", dup).With("source", "urn:a:2").With("type", type));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var page = await PageAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&after={dup}");

        Assert.Equal([.. five, dup], page.Ids);
    }

    [Fact]
    public async Task Next_NamesAPosition_SoFollowingItPastARepeatedIdSkipsNothing()
    {
        var type = UniqueType();
        var dup = "dup-" + Guid.NewGuid().ToString("N");
        var published = new List<string> { await PublishAsync(EventBuilder.Generic().With("id", dup).With("source", "urn:a:1").With("type", type)) };
        for (var i = 0; i < 5; i++)
        {
            published.Add(await PublishAsync(EventBuilder.Generic().With("type", type)));
        }

        published.Add(await PublishAsync(EventBuilder.Generic().With("id", dup).With("source", "urn:a:2").With("type", type)));
        published.Add(await PublishAsync(EventBuilder.Generic().With("type", type)));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var walked = await WalkAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&after=0&size=1");

        Assert.Equal(published, walked);
    }

    [Fact]
    public async Task AfterTheIdOfAHiddenEvent_AnswersExactlyAsAfterAnIdNotStored()
    {
        // User 1339 may see events about its own party 50004, not about 50001.
        var type = UniqueType();
        var hidden1 = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50001"));
        var visible1 = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50004"));
        var hidden2 = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50001"));
        var visible2 = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50004"));
        using var stranger = api.Client(TestTokens.ForUser(1339, 50004));
        var query = $"/events?resource={EventBuilder.TestResource}&type={type}";

        var afterHidden1 = await PageAsync(stranger, $"{query}&after={hidden1}");
        var afterHidden2 = await PageAsync(stranger, $"{query}&after={hidden2}");
        var afterNothing = await PageAsync(stranger, $"{query}&after={Guid.NewGuid()}");
        var afterVisible = await PageAsync(stranger, $"{query}&after={visible1}");

        Assert.Equal([visible1, visible2], afterNothing.Ids);
        Assert.Equal(afterNothing, afterHidden1);
        Assert.Equal(afterNothing, afterHidden2);
        Assert.Equal([visible2], afterVisible.Ids);
    }

    [Fact]
    public async Task AfterAnIdWhoseEarliestEventIsHidden_CountsFromTheEarliestTheCallerMaySee()
    {
        // User 1339 may see events about 50004, not about 50001. The id's first event is hidden, its second visible.
        var type = UniqueType();
        var dup = "dup-" + Guid.NewGuid().ToString("N");
        await PublishAsync(EventBuilder.Generic().With("id", dup).With("source", "urn:a:1").With("type", type).With("subject", "/party/50001"));
        var before = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50004"));
        await PublishAsync(EventBuilder.Generic().With("id", dup).With("source", "urn:a:2").With("type", type).With("subject", "/party/50004"));
        var after = await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", "/party/50004"));
        using var stranger = api.Client(TestTokens.ForUser(1339, 50004));
        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        var query = $"/events?resource={EventBuilder.TestResource}&type={type}&after={dup}";

        Assert.Equal([after], (await PageAsync(stranger, query)).Ids);
        Assert.Equal([before, dup, after], (await PageAsync(owner, query)).Ids);
    }

    [Fact]
    public async Task AfterTheIdOfAnEventStoredBefore0007_IsFoundInTheEventsTable()
    {
        // Key rows from before migration 0007 carry no id: the cursor finds such an event in the events table.
        var type = UniqueType();
        var old = "old-" + Guid.NewGuid().ToString("N");
        await using (var connection = await api.Database.DataSource.OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(
                connection,
                """
                INSERT INTO events (seq, registered, id, source, resource, type, subject, party_id, cloudevent)
                VALUES (nextval('events_seq'), now(), @old, 'urn:a:old', @resource, @type, '/party/50001', 50001, @json)
                """,
                new { old, resource = EventBuilder.TestResource, type, json = EventBuilder.Generic().With("id", old).With("type", type).Json() });
        }

        var later = await PublishAsync(EventBuilder.Generic().With("type", type));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal([later], (await PageAsync(client, $"/events?resource={EventBuilder.TestResource}&type={type}&after={old}")).Ids);
    }

    [Fact]
    public async Task Stranger_ProbingAPersonsAppEventsWithPersonAndSourcePatterns_LearnsNothing()
    {
        // 120 app events about party 50001 (person 01017012345): more than one chunk of the scan.
        var sources = new List<string>();
        foreach (var batch in Enumerable.Range(0, 120).Chunk(12))
        {
            sources.AddRange(await Task.WhenAll(batch.Select(async _ =>
            {
                var e = EventBuilder.App(partyId: 50001);
                await PublishAppAsync(e);
                return (string)e.Build()["source"]!;
            })));
        }

        var instance = sources[37][(sources[37].LastIndexOf('/') + 1)..];
        using var stranger = api.Client(TestTokens.ForUser(1339, 50004));
        using var holder = api.Client(TestTokens.ForUser(1337, 50001));
        var instances = "https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/";

        var probes = new (string Query, string? Person)[]
        {
            ("/app/party?after=0", "01017012345"),                                                          // the person with the events
            ($"/app/party?after=0&source={Uri.EscapeDataString(instances + "%")}", "01017012345"),            // their instances
            ($"/app/party?after=0&source={Uri.EscapeDataString(instances + instance[..8] + "%")}", "01017012345"), // one instance, narrowed
            ($"/app/party?after=0&source={Uri.EscapeDataString(instances + instance)}", "01017012345"),       // exactly
            ($"/app/party?after=0&source={Uri.EscapeDataString("https://ttd.apps.altinn.no/ttd/other-app/%")}", "01017012345"), // nothing there
            ("/app/party?after=0&party=50001", null),
            ($"/app/party?party=50001&from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}", null),
            ("/app/party?after=0", "04047012345"),                                                          // registered, no events
            ("/app/party?after=0", "31129912345"),                                                          // not registered
            ("/app/party?after=0&party=50006", null),
        };

        var answers = new List<PageResult>();
        foreach (var (query, person) in probes)
        {
            answers.Add(await PageAsync(stranger, query, person));
        }

        // Every answer is the empty store's: an empty page and no next link (nothing to follow, no position to compare).
        Assert.All(answers, a => Assert.Equal(new PageResult([], null), a));

        // The events are there for someone who may see them.
        Assert.Equal(120, (await WalkAsync(holder, "/app/party?after=0&size=50", "01017012345")).Count);
    }

    [Fact]
    public async Task Page_ReadsPayloadsWithItsFirstChunk_AndOnlyThoseOfLaterChunksItReturnsAfterwards()
    {
        // After a marker the caller may see: 20 events of the caller's party of another type (rows the scan reads and its
        // type filter drops), then 30 of the type, three of them about the caller's party.
        var type = UniqueType();
        var marker = await PublishAsync(EventBuilder.Generic().With("type", UniqueType()).With("subject", "/party/50004"));
        var noise = UniqueType();
        for (var i = 0; i < 20; i++)
        {
            await PublishAsync(EventBuilder.Generic().With("type", noise).With("subject", "/party/50004"));
        }

        for (var i = 0; i < 30; i++)
        {
            await PublishAsync(EventBuilder.Generic().With("type", type).With("subject", i % 10 == 0 ? "/party/50004" : "/party/50001"));
        }

        using var counter = new CommandCounter(api.Database.DatabaseName);
        using var stranger = api.Client(TestTokens.ForUser(1339, 50004));
        var query = $"/events?resource={EventBuilder.TestResource}&type={type}&after={marker}";
        static bool IsScan(string sql) => sql.TrimStart().StartsWith("WITH head", StringComparison.Ordinal);
        static bool IsPayloadRead(string sql) => sql.TrimStart().StartsWith("SELECT seq, cloudevent FROM events", StringComparison.Ordinal);

        // A page of 50: its first chunk (50 of the party's rows) holds the 23 after the marker and brings their payloads;
        // the three of the type are returned with theirs, and nothing reads payloads again.
        counter.Reset();
        var page = await PageAsync(stranger, query);
        Assert.Equal(3, page.Ids.Count);
        Assert.Single(counter.Commands, IsScan);
        Assert.Contains("cloudevent", counter.Commands.Single(IsScan), StringComparison.Ordinal);
        Assert.DoesNotContain(counter.Commands, IsPayloadRead);

        // Each event came with its own payload.
        var bodies = (await stranger.GetFromJsonAsync<JsonArray>(Base + query))!;
        Assert.Equal(page.Ids, bodies.Select(e => (string)e!["id"]!));
        Assert.All(bodies, e => Assert.Equal("/party/50004", (string)e!["subject"]!));

        // A page of 3: the first chunk (16 rows) holds only the other type; the three come from the second chunk, which
        // reads no payloads, so one read fetches theirs afterwards.
        counter.Reset();
        var small = await PageAsync(stranger, query + "&size=3");
        Assert.Equal(page.Ids, small.Ids);
        var scans = counter.Commands.Where(IsScan).ToList();
        Assert.Equal(2, scans.Count);
        Assert.Contains("cloudevent", scans[0], StringComparison.Ordinal);
        Assert.DoesNotContain("cloudevent", scans[1], StringComparison.Ordinal);
        Assert.Single(counter.Commands, IsPayloadRead);

        // A first chunk above EventReader.MaxPayloadChunk rows reads no payloads with it: one read for those returned.
        counter.Reset();
        var large = await PageAsync(stranger, query + "&size=" + (Altinn.Events.Persistence.Events.EventReader.MaxPayloadChunk + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(page.Ids, large.Ids);
        Assert.All(counter.Commands.Where(IsScan), sql => Assert.DoesNotContain("cloudevent", sql, StringComparison.Ordinal));
        Assert.Single(counter.Commands, IsPayloadRead);

        // Someone who may see none of them: the first chunk's payloads were read with it, and none is returned or read again.
        counter.Reset();
        using var nobody = api.Client(TestTokens.ForUser(1338, 50005));
        Assert.Empty((await PageAsync(nobody, query)).Ids);
        Assert.DoesNotContain(counter.Commands, IsPayloadRead);
    }

    [Fact]
    public async Task BadCursor_Is400NamingIt_AndCursorWithAfter_Is400()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        foreach (var query in new[] { "cursor=nonsense", "cursor=AQAAAAAAAAAAAAAAAAAAAAA&after=x" })
        {
            var response = await client.GetAsync($"{Base}/events?resource={EventBuilder.TestResource}&{query}");

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("errors").TryGetProperty("cursor", out _));
        }
    }

    internal static string UniqueType() => "test.cursor." + Guid.NewGuid().ToString("N")[..10];

    internal static async Task<PageResult> PageAsync(HttpClient client, string query, string? person = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, query.StartsWith("http", StringComparison.Ordinal) ? query : Base + query);
        if (person is not null)
        {
            request.Headers.Add("person", person);
        }

        var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{query}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var ids = (await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(e => (string)e!["id"]!).ToList();
        var next = response.Headers.TryGetValues("next", out var values) ? values.Single() : null;
        return new PageResult(ids, next is null ? null : System.Web.HttpUtility.ParseQueryString(new Uri(next).Query)["cursor"]);
    }

    /// <summary>Follows next until a page comes back without one; returns every id seen.</summary>
    internal static async Task<List<string>> WalkAsync(HttpClient client, string query, string? person = null, int maxPages = 200)
    {
        var seen = new List<string>();
        string? url = Base + query;
        for (var pages = 0; url is not null && pages < maxPages; pages++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (person is not null)
            {
                request.Headers.Add("person", person);
            }

            var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange((await response.Content.ReadFromJsonAsync<JsonArray>())!.Select(e => (string)e!["id"]!));
            url = response.Headers.TryGetValues("next", out var next) ? next.Single() : null;
        }

        return seen;
    }

    private async Task<string> PublishAsync(EventBuilder e)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var response = await client.PostAsync($"{Base}/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return e.Id;
    }

    private async Task PublishAppAsync(EventBuilder e)
    {
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));
        var response = await client.PostAsync($"{Base}/app", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}

/// <summary>What a caller can tell from a page: the ids, and the cursor of its next link (null: no next link).</summary>
public sealed record PageResult(IReadOnlyList<string> Ids, string? Cursor)
{
    public bool Equals(PageResult? other) => other is not null && Ids.SequenceEqual(other.Ids) && Cursor == other.Cursor;

    public override int GetHashCode() => HashCode.Combine(Ids.Count, Cursor);

    public override string ToString() => $"[{string.Join(", ", Ids)}] next: {Cursor ?? "none"}";
}

/// <summary>The API with a small scan budget (Queries:MaxExamined), so pages end at the budget.</summary>
public sealed class SmallBudgetApiFixture : ApiFixture
{
    public const int Budget = 100;

    protected override void Configure(Dictionary<string, string?> settings) =>
        settings["Queries:MaxExamined"] = Budget.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Pages bounded by the scan budget: they end early and continue, never skipping an event.</summary>
public sealed class ScanBudgetTests(SmallBudgetApiFixture api) : IClassFixture<SmallBudgetApiFixture>
{
    [Fact]
    public async Task ManyHiddenEventsBeforeTheVisibleOnes_PagesStopAtTheBudget_AndTheWalkStillSeesEveryVisibleEventOnce()
    {
        var type = CursorTests.UniqueType();
        using var publisher = api.Client(TestTokens.ForOrg("ttd"));
        var hidden = new JsonArray([.. Enumerable.Range(0, 2 * SmallBudgetApiFixture.Budget + 50).Select(_ => (JsonNode)EventBuilder.Generic().With("type", type).With("subject", "/party/50010").Build())]);
        foreach (var chunk in hidden.Chunk(100))
        {
            var batch = new JsonArray([.. chunk.Select(n => n!.DeepClone())]);
            Assert.Equal(HttpStatusCode.OK, (await publisher.PostAsync("/events/api/v1/events", new StringContent(batch.ToJsonString(), Encoding.UTF8, "application/cloudevents-batch+json"))).StatusCode);
        }

        var visible = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var e = EventBuilder.Generic().With("type", type).With("subject", "/party/50005");
            Assert.Equal(HttpStatusCode.OK, (await publisher.PostAsync("/events/api/v1/events", new StringContent(e.Json(), Encoding.UTF8, "application/cloudevents+json"))).StatusCode);
            visible.Add(e.Id);
        }

        // User 1338 sees events about its own party 50005, not about 50010, for which it holds REGNA: a role the
        // resource's policy does not grant, so those events are scanned (the reverse index holds the party) and denied.
        using var holder = api.Client(TestTokens.ForUser(1338, 50005));
        var query = $"/events?resource={EventBuilder.TestResource}&type={type}&after=0&size=2";

        var first = await CursorTests.PageAsync(holder, query);
        var walked = await CursorTests.WalkAsync(holder, query);

        Assert.Empty(first.Ids);
        Assert.NotNull(first.Cursor);
        Assert.Equal(visible, walked);
    }
}
