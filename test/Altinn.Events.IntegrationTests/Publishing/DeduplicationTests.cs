using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;
using Dapper;

namespace Altinn.Events.IntegrationTests.Publishing;

/// <summary>
/// De-duplication no tenant can abuse: an event is the same event only from the same publisher, for the same resource,
/// with the same source and id; the same key with other content is a 409 that says so, and stores nothing.
/// </summary>
public sealed class DeduplicationTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Events = "/events/api/v1/events";
    private const string Single = "application/cloudevents+json";
    private const string Batch = "application/cloudevents-batch+json";

    // May publish to any resource (the admin scope skips the policy): the tenant trying to get in the way.
    private static readonly string Squatter = TestTokens.ForOrg("squatter", "altinn:events.publish altinn:events.publish.admin altinn:events.subscribe");

    [Fact]
    public async Task SameKey_OtherContent_Is409SayingSo_AndStoresNothing()
    {
        var e = EventBuilder.Generic();
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));
        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, e.Json())).StatusCode);

        var changed = await Post(ttd, e.With("type", "test.changed").Json());

        Assert.Equal(HttpStatusCode.Conflict, changed.StatusCode);
        Assert.Equal("application/problem+json", changed.Content.Headers.ContentType?.MediaType);
        var problem = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(409, problem.GetProperty("status").GetInt32());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(e.Id, detail, StringComparison.Ordinal);
        Assert.Contains("other content", detail, StringComparison.Ordinal);
        var stored = await StoredAsync(e.Id);
        Assert.Equal("test.created", Assert.Single(stored).Type);
    }

    [Fact]
    public async Task SameContent_InAnotherMemberOrderAndLayout_IsARepublish_Returns200AndStoresOnce()
    {
        var id = Guid.NewGuid().ToString();
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));
        var first = """{"specversion":"1.0","id":"ID","source":"https://tests.example/events","type":"test.created","resource":"RESOURCE","subject":"/party/50001","data":{"a":1,"b":"\u00e6"}}"""
            .Replace("ID", id, StringComparison.Ordinal).Replace("RESOURCE", EventBuilder.TestResource, StringComparison.Ordinal);
        var again = """
            { "data": { "b": "æ", "a": 1 }, "subject": "/party/50001", "resource": "RESOURCE",
              "type": "test.created", "source": "https://tests.example/events", "id": "ID", "specversion": "1.0" }
            """.Replace("ID", id, StringComparison.Ordinal).Replace("RESOURCE", EventBuilder.TestResource, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, again)).StatusCode);

        Assert.Single(await StoredAsync(id));
    }

    [Fact]
    public async Task WithoutTime_RepublishedWithoutTime_IsTheSameEvent_ThoughTheServiceSetTheTime()
    {
        var e = EventBuilder.Generic();
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, e.Json())).StatusCode);
        await Task.Delay(20);
        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, e.Json())).StatusCode);

        Assert.Single(await StoredAsync(e.Id));
    }

    [Fact]
    public async Task Batch_WithOneConflictingEvent_Is409NamingIt_AndStoresNoneOfTheBatch()
    {
        var existing = EventBuilder.Generic();
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));
        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, existing.Json())).StatusCode);
        var fresh = EventBuilder.Generic();
        var batch = new JsonArray(fresh.Build(), existing.With("type", "test.changed").Build());

        var response = await Post(ttd, batch.ToJsonString(), Batch);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains($"[1] (id '{existing.Id}'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await StoredAsync(fresh.Id));
    }

    [Fact]
    public async Task Batch_GivingOneKeyTwiceWithOtherContent_Is409()
    {
        var e = EventBuilder.Generic();
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));
        var batch = new JsonArray(e.Build(), e.With("type", "test.changed").Build());

        var response = await Post(ttd, batch.ToJsonString(), Batch);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Empty(await StoredAsync(e.Id));
    }

    [Fact]
    public async Task AnotherPublisher_PublishingTheSameSourceAndIdFirst_CannotSuppressTheEvent()
    {
        // The squatter publishes ttd's predictable key first: into a resource of its own, and into ttd's resource itself.
        var type = "test.dedup." + Guid.NewGuid().ToString("N")[..8];
        var e = EventBuilder.Generic().With("type", type);
        using var squatter = api.Client(Squatter);
        var own = JsonNode.Parse(e.Json())!;
        own["resource"] = "urn:altinn:resource:squatter-events";
        Assert.Equal(HttpStatusCode.OK, (await Post(squatter, own.ToJsonString())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post(squatter, e.Json())).StatusCode);
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));

        var response = await Post(ttd, e.Json());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await StoredAsync(e.Id);
        Assert.Equal(3, stored.Count);
        Assert.Equal(2, stored.Count(s => s.Resource == EventBuilder.TestResource));

        // ttd, reading its resource from the start, finds the two events with that key: its own and the squatter's.
        var page = await ttd.GetAsync($"/events/api/v1/events?resource={EventBuilder.TestResource}&type={type}&after=0");
        Assert.Equal(2, (await page.Content.ReadFromJsonAsync<JsonArray>())!.Count);
    }

    [Fact]
    public async Task AnotherPublisher_WithOtherContentUnderTheSameKey_IsNotAConflict()
    {
        var e = EventBuilder.Generic();
        using var squatter = api.Client(Squatter);
        Assert.Equal(HttpStatusCode.OK, (await Post(squatter, e.With("type", "squatter.type").Json())).StatusCode);
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));

        var response = await Post(ttd, e.With("type", "test.created").Json());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await StoredAsync(e.Id)).Count);
    }

    [Fact]
    public async Task ConflictingRequest_InASharedCommit_FailsAlone()
    {
        var existing = EventBuilder.Generic();
        using var ttd = api.Client(TestTokens.ForOrg("ttd"));
        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, existing.Json())).StatusCode);
        var others = Enumerable.Range(0, 40).Select(_ => EventBuilder.Generic()).ToList();

        var responses = await Task.WhenAll(
            others.Select(o => Post(ttd, o.Json())).Append(Post(ttd, existing.Build().Also(n => n["type"] = "test.changed").ToJsonString())));

        Assert.Equal(HttpStatusCode.Conflict, responses[^1].StatusCode);
        Assert.All(responses[..^1], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var o in others)
        {
            Assert.Single(await StoredAsync(o.Id));
        }
    }

    [Fact]
    public async Task EventStoredBeforeMigration0011_RepublishedToItsResource_IsRecognised_ToAnotherResource_IsNew()
    {
        // A key row as writers made them before 0011: md5 of source and id, no content, no publisher.
        var e = EventBuilder.Generic();
        var source = (string)e.Build()["source"]!;
        await using (var connection = await api.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                """
                WITH s AS (SELECT nextval('events_seq') AS seq, now() AS registered)
                , k AS (INSERT INTO event_keys (key, registered, id, seq) SELECT md5(length(@source) || ':' || @source || @id)::uuid, registered, @id, seq FROM s)
                INSERT INTO events (seq, registered, id, source, resource, type, cloudevent) SELECT seq, registered, @id, @source, @resource, 'test.created', @json FROM s
                """,
                new { id = e.Id, source, resource = EventBuilder.TestResource, json = e.Json() });
        }

        using var ttd = api.Client(TestTokens.ForOrg("ttd"));
        using var squatter = api.Client(Squatter);
        var elsewhere = JsonNode.Parse(e.Json())!;
        elsewhere["resource"] = "urn:altinn:resource:squatter-events";

        Assert.Equal(HttpStatusCode.OK, (await Post(ttd, e.Json())).StatusCode);
        Assert.Single(await StoredAsync(e.Id));
        Assert.Equal(HttpStatusCode.OK, (await Post(squatter, elsewhere.ToJsonString())).StatusCode);
        Assert.Equal(2, (await StoredAsync(e.Id)).Count);
    }

    private static Task<HttpResponseMessage> Post(HttpClient client, string json, string contentType = Single) =>
        client.PostAsync(Events, new StringContent(json, Encoding.UTF8, contentType));

    private async Task<List<StoredEvent>> StoredAsync(string id)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<StoredEvent>("SELECT id, type, resource FROM events WHERE id = @id ORDER BY seq", new { id })];
    }

    private sealed record StoredEvent(string Id, string Type, string Resource);
}

internal static class JsonNodeExtensions
{
    public static JsonObject Also(this JsonObject node, Action<JsonObject> change)
    {
        change(node);
        return node;
    }
}
