using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;
using Dapper;

namespace Altinn.Events.IntegrationTests.Publishing;

/// <summary>POST /events and POST /app against the real PostgreSQL, with the embedded PDP deciding.</summary>
public sealed class PublishTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Events = "/events/api/v1/events";
    private const string App = "/events/api/v1/app";
    private const string Single = "application/cloudevents+json";
    private const string Batch = "application/cloudevents-batch+json";

    [Fact]
    public async Task Post_ValidEvent_Returns200_AndStoresItOnce()
    {
        var e = EventBuilder.Generic().With("myextension", "kept").With("data", new JsonObject { ["answer"] = 42 });
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, Body(e.Json()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = Assert.Single(await StoredAsync(e.Id));
        var json = JsonNode.Parse(stored.CloudEvent)!;
        Assert.Equal("kept", (string?)json["myextension"]);
        Assert.Equal(42, (int?)json["data"]!["answer"]);
        Assert.Equal(EventBuilder.TestResource, stored.Resource);
        Assert.Equal(50001, stored.PartyId);
    }

    [Fact]
    public async Task Post_SameEventTwice_SucceedsTwice_StoresOnce_AndAnotherSourceIsAnotherEvent()
    {
        var e = EventBuilder.Generic();
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var first = await client.PostAsync(Events, Body(e.Json()));
        var again = await client.PostAsync(Events, Body(e.Json()));
        var otherSource = await client.PostAsync(Events, Body(e.With("source", "https://tests.example/other").Json()));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, otherSource.StatusCode);
        var stored = await StoredAsync(e.Id);
        Assert.Equal(2, stored.Count);
        Assert.Contains(stored, s => s.Type == "test.created" && s.Source == "https://tests.example/events");
    }

    public static TheoryData<string, string, string> InvalidEvents => new()
    {
        { "id missing", EventBuilder.Generic().Without("id").Json(), "id" },
        { "type empty", EventBuilder.Generic().With("type", "").Json(), "type" },
        { "source missing", EventBuilder.Generic().Without("source").Json(), "source" },
        { "source relative", EventBuilder.Generic().With("source", "/just/a/path").Json(), "source" },
        { "specversion 0.3", EventBuilder.Generic().With("specversion", "0.3").Json(), "specversion" },
        { "resource missing", EventBuilder.Generic().Without("resource").Json(), "resource" },
        { "resource not an altinn resource urn", EventBuilder.Generic().With("resource", "urn:foo:bar").Json(), "resource" },
        { "resource not a string", EventBuilder.Generic().With("resource", 12).Json(), "resource" },
        { "time not RFC 3339", EventBuilder.Generic().With("time", "yesterday").Json(), "time" },
        { "time without zone", EventBuilder.Generic().With("time", "2024-05-12T10:00:00").Json(), "time" },
        { "alternativesubject wrong shape", EventBuilder.Generic().With("alternativesubject", "/person/123").Json(), "alternativesubject" },
        { "attribute name with capitals", EventBuilder.Generic().With("myExtension", "x").Json(), "myExtension" },
        { "data and data_base64", EventBuilder.Generic().With("data", "x").With("data_base64", "eA==").Json(), "data" },
        { "extension value an object", EventBuilder.Generic().With("myextension", new JsonObject { ["a"] = 1 }).Json(), "body" },
        { "not JSON", "{ this is not json", "body" },
        { "not an object", "[1,2,3]", "body" },
        { "a string", "\"event\"", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidEvents))]
    public async Task Post_InvalidEvent_Returns400NamingTheField_AndStoresNothing(string why, string body, string field)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var before = await CountAsync();

        var response = await client.PostAsync(Events, Body(body));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, why);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: {problem}");
        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Post_EventOverTheSizeLimit_Returns413()
    {
        var e = EventBuilder.Generic().With("data", new string('x', 70 * 1024));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, Body(e.Json()));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await StoredAsync(e.Id));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("text/plain")]
    public async Task Post_WrongContentType_Returns415(string contentType)
    {
        var e = EventBuilder.Generic();
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, new StringContent(e.Json(), Encoding.UTF8, contentType));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await StoredAsync(e.Id));
    }

    [Fact]
    public async Task Post_WithoutToken_Returns401_AndWithoutPublishScope_Returns403()
    {
        var e = EventBuilder.Generic();
        using var anonymous = api.Client();
        using var subscriber = api.Client(TestTokens.ForOrg("ttd", scopes: "altinn:events.subscribe"));

        var noToken = await anonymous.PostAsync(Events, Body(e.Json()));
        var noScope = await subscriber.PostAsync(Events, Body(e.Json()));

        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, noScope.StatusCode);
        Assert.Contains("altinn:events.publish", await noScope.Content.ReadAsStringAsync());
        Assert.Empty(await StoredAsync(e.Id));
    }

    [Fact]
    public async Task Post_ForAResourceThePolicyDoesNotLetTheCallerPublishTo_Returns403()
    {
        var e = EventBuilder.Generic();
        using var client = api.Client(TestTokens.ForOrg("nav"));

        var response = await client.PostAsync(Events, Body(e.Json()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains(EventBuilder.TestResource, await response.Content.ReadAsStringAsync());
        Assert.Empty(await StoredAsync(e.Id));
    }

    [Fact]
    public async Task Post_WithAdminScope_SkipsThePolicy()
    {
        var e = EventBuilder.Generic();
        using var client = api.Client(TestTokens.ForOrg("nav", scopes: "altinn:events.publish.admin"));

        var response = await client.PostAsync(Events, Body(e.Json()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Single(await StoredAsync(e.Id));
    }

    [Fact]
    public async Task PostBatch_AllValid_StoresAll_RepeatsWithinTheBatchOnce()
    {
        var events = Enumerable.Range(0, 5).Select(_ => EventBuilder.Generic().Build()).ToList();
        events.Add((JsonObject)events[0].DeepClone());
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, Body(new JsonArray([.. events]).ToJsonString(), Batch));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var e in events)
        {
            Assert.Single(await StoredAsync((string)e["id"]!));
        }
    }

    [Fact]
    public async Task PostBatch_WithBadEntries_Returns400NamingEach_AndStoresNone()
    {
        var good = EventBuilder.Generic();
        var batch = new JsonArray(good.Build(), EventBuilder.Generic().Build(), EventBuilder.Generic().With("source", "nope").Build(), EventBuilder.Generic().Without("type").Build());
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, Body(batch.ToJsonString(), Batch));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("[2].source", out _), errors.ToString());
        Assert.True(errors.TryGetProperty("[3].type", out _), errors.ToString());
        Assert.Empty(await StoredAsync(good.Id));
    }

    [Fact]
    public async Task PostBatch_WithAnOversizedEntry_Returns413NamingIt_AndStoresNone()
    {
        var small = EventBuilder.Generic();
        var batch = new JsonArray(small.Build(), EventBuilder.Generic().With("data", new string('x', 70 * 1024)).Build());
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, Body(batch.ToJsonString(), Batch));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("Entries 1 exceed", await response.Content.ReadAsStringAsync());
        Assert.Empty(await StoredAsync(small.Id));
    }

    [Fact]
    public async Task PostBatch_OverTheCountLimit_Returns400_AndNotAnArray_Returns400()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var tooMany = new JsonArray([.. Enumerable.Range(0, 101).Select(_ => (JsonNode)EventBuilder.Generic().Build())]);

        var overLimit = await client.PostAsync(Events, Body(tooMany.ToJsonString(), Batch));
        var notArray = await client.PostAsync(Events, Body(EventBuilder.Generic().Json(), Batch));

        Assert.Equal(HttpStatusCode.BadRequest, overLimit.StatusCode);
        Assert.Contains("100", await overLimit.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, notArray.StatusCode);
    }

    [Fact]
    public async Task PostApp_FromTheApp_Returns201WithTheIdTheServiceSet_AndStoresAppAttributes()
    {
        var e = EventBuilder.App();
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));

        var response = await client.PostAsync(App, Body(e.Json()));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = await response.Content.ReadFromJsonAsync<string>();
        Assert.True(Guid.TryParse(id, out _));
        var stored = Assert.Single(await StoredAsync(id!));
        Assert.Equal("urn:altinn:resource:app_ttd_apps-test", stored.Resource);
        var json = JsonNode.Parse(stored.CloudEvent)!;
        var source = (string)json["source"]!;
        Assert.Equal(source[(source.IndexOf("/instances/", StringComparison.Ordinal) + "/instances/".Length)..], (string?)json["resourceinstance"]);
        Assert.NotNull(json["time"]);
    }

    [Fact]
    public async Task PostApp_WithAnotherAppsSource_Returns400OnSource()
    {
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));

        var response = await client.PostAsync(App, Body(EventBuilder.App(app: "other-app").Json()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("source", out _));
    }

    [Theory]
    [InlineData("subject")]
    [InlineData("type")]
    [InlineData("source")]
    public async Task PostApp_WithoutARequiredAttribute_Returns400NamingIt(string attribute)
    {
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));

        var response = await client.PostAsync(App, Body(EventBuilder.App().Without(attribute).Json()));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty(attribute, out _));
    }

    [Fact]
    public async Task PostApp_ByAnOrgInsteadOfAnApp_Returns403()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(App, Body(EventBuilder.App().Json()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static StringContent Body(string json, string contentType = Single) => new(json, Encoding.UTF8, contentType);

    private async Task<List<StoredEvent>> StoredAsync(string id)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return [.. await connection.QueryAsync<StoredEvent>(
            "SELECT id, source, type, resource, party_id AS PartyId, cloudevent AS CloudEvent FROM events WHERE id = @id", new { id })];
    }

    private async Task<long> CountAsync()
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events");
    }

    private sealed record StoredEvent(string Id, string Source, string Type, string Resource, int? PartyId, string CloudEvent);
}
