using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Dapper;

namespace Altinn.Events.IntegrationTests.Subscriptions;

/// <summary>The subscriptions API against the real PostgreSQL and the embedded PDP and register.</summary>
public sealed class SubscriptionApiTests(SubscriptionsApiFixture api) : IClassFixture<SubscriptionsApiFixture>
{
    private const string Path = SubscriptionBuilder.Path;

    [Fact]
    public async Task Post_GenericSubscription_Returns201WithLocationAndSecret_AndGetShowsItPendingWithoutSecret()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Path, SubscriptionBuilder.Generic().With("typeFilter", "test.created").With("subjectFilter", "/party/50001").Content());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"http://localhost{Path}/{id}", response.Headers.Location!.ToString()); // absolute, from the public base URL
        Assert.StartsWith("whsec_", created.GetProperty("secret").GetString());
        Assert.Equal("/org/ttd", created.GetProperty("consumer").GetString());
        Assert.Equal("pending", created.GetProperty("validationStatus").GetString());
        Assert.False(created.GetProperty("validated").GetBoolean());

        var fetched = await client.GetFromJsonAsync<JsonElement>($"{Path}/{id}");
        Assert.False(fetched.TryGetProperty("secret", out _));
        Assert.False(fetched.TryGetProperty("sourceFilter", out _)); // nulls are omitted
        Assert.Equal("test.created", fetched.GetProperty("typeFilter").GetString());
        Assert.Equal("pending", fetched.GetProperty("validationStatus").GetString());

        // The first validation attempt is on the queue.
        var queued = await api.Queues.PeekAsync(api.Queues.Validation);
        Assert.Contains(queued, m => m.Body.ToString().Contains(id.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Post_IdenticalSubscriptionTwice_Returns201WithTheExistingOne_WithoutItsSecret()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var body = SubscriptionBuilder.Generic().With("sourceFilter", "https://tests.example/orders/");

        var first = await client.PostAsync(Path, body.Content());
        var second = await client.PostAsync(Path, body.With("sourceFilter", "https://tests.example/orders").Content());

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        var a = await first.Content.ReadFromJsonAsync<JsonElement>();
        var b = await second.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(a.GetProperty("id").GetGuid(), b.GetProperty("id").GetGuid());
        Assert.Equal("https://tests.example/orders", b.GetProperty("sourceFilter").GetString());
        Assert.False(b.TryGetProperty("secret", out _));
        Assert.Equal(1, await CountAsync("source_filter = 'https://tests.example/orders' AND consumer = '/org/ttd'"));
    }

    [Fact]
    public async Task Post_AppSubscriptionBySourceFilter_DerivesTheResource_AndTheOwnerNeedsNoSubject()
    {
        using var owner = api.Client(TestTokens.ForOrg("ttd", scopes: "altinn:serviceowner"));

        var response = await owner.PostAsync(Path, new SubscriptionBuilder().With("sourceFilter", "https://ttd.apps.altinn.no/ttd/apps-test").Content());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(SubscriptionBuilder.AppResource, created.GetProperty("resourceFilter").GetString());
    }

    [Fact]
    public async Task Post_AppSubscriptionByAUserWithARole_NeedsNoScope_AndWithoutSubject_Returns400()
    {
        using var user = api.Client(TestTokens.ForUser(1338, 50005, scopes: ""));

        var withSubject = await user.PostAsync(Path, SubscriptionBuilder.App().With("subjectFilter", "/party/50011").Content());
        var withoutSubject = await user.PostAsync(Path, SubscriptionBuilder.App().Content());

        Assert.Equal(HttpStatusCode.Created, withSubject.StatusCode);
        await AssertFieldAsync(withoutSubject, HttpStatusCode.BadRequest, "subjectFilter");
    }

    [Fact]
    public async Task Post_AlternativeSubjectFilter_IsResolvedToTheParty_AndUnknownReturns400()
    {
        using var user = api.Client(TestTokens.ForUser(1337, 50001));

        var person = await user.PostAsync(Path, SubscriptionBuilder.Generic().With("alternativeSubjectFilter", "/person/01017012345").Content());
        var organisation = await user.PostAsync(Path, SubscriptionBuilder.Generic().With("alternativeSubjectFilter", "/organisation/991825827").With("includeSubunits", true).Content());
        var unknown = await user.PostAsync(Path, SubscriptionBuilder.Generic().With("alternativeSubjectFilter", "/person/99999999999").Content());

        Assert.Equal(HttpStatusCode.Created, person.StatusCode);
        var p = await person.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("/party/50001", p.GetProperty("subjectFilter").GetString());
        Assert.Equal("/person/01017012345", p.GetProperty("alternativeSubjectFilter").GetString());
        Assert.Equal(HttpStatusCode.Created, organisation.StatusCode);
        var o = await organisation.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("/party/50002", o.GetProperty("subjectFilter").GetString());
        Assert.True(o.GetProperty("includeSubunits").GetBoolean());
        await AssertFieldAsync(unknown, HttpStatusCode.BadRequest, "alternativeSubjectFilter");
    }

    public static TheoryData<string, string, string> InvalidSubscriptions => new()
    {
        { "no endPoint", SubscriptionBuilder.Generic().Without("endPoint").Json(), "endPoint" },
        { "relative endPoint", SubscriptionBuilder.Generic().With("endPoint", "/hooks/1").Json(), "endPoint" },
        { "ftp endPoint", SubscriptionBuilder.Generic().With("endPoint", "ftp://hooks.example/x").Json(), "endPoint" },
        { "http to a public host", SubscriptionBuilder.Generic().With("endPoint", "http://hooks.example/x").Json(), "endPoint" },
        { "credentials in the endPoint", SubscriptionBuilder.Generic().With("endPoint", "https://user:pw@hooks.example/x").Json(), "endPoint" },
        { "host does not resolve", SubscriptionBuilder.Generic().With("endPoint", "https://nowhere.invalid/x").Json(), "endPoint" },
        { "host resolves to a private address", SubscriptionBuilder.Generic().With("endPoint", "https://internal.example/x").Json(), "endPoint" },
        { "no resourceFilter on a generic subscription", new SubscriptionBuilder().With("sourceFilter", "https://tests.example/x").Json(), "resourceFilter" },
        { "resourceFilter not a resource urn", SubscriptionBuilder.Generic().With("resourceFilter", "urn:foo:bar").Json(), "resourceFilter" },
        { "sourceFilter not absolute", SubscriptionBuilder.Generic().With("sourceFilter", "tests/x").Json(), "sourceFilter" },
        { "apps sourceFilter without app", new SubscriptionBuilder().With("sourceFilter", "https://ttd.apps.altinn.no/").Json(), "sourceFilter" },
        { "apps sourceFilter of another app than the resource", SubscriptionBuilder.App().With("sourceFilter", "https://ttd.apps.altinn.no/ttd/other-app").Json(), "sourceFilter" },
        { "alternativeSubjectFilter wrong shape", SubscriptionBuilder.Generic().With("alternativeSubjectFilter", "/person/123").Json(), "alternativeSubjectFilter" },
        { "subjectFilter and alternativeSubjectFilter", SubscriptionBuilder.Generic().With("subjectFilter", "/party/50001").With("alternativeSubjectFilter", "/person/01017012345").Json(), "alternativeSubjectFilter" },
        { "person number as subjectFilter", SubscriptionBuilder.Generic().With("subjectFilter", "/person/01017012345").Json(), "subjectFilter" },
        { "includeSubunits without subject", SubscriptionBuilder.Generic().With("includeSubunits", true).Json(), "includeSubunits" },
        { "typeFilter empty", SubscriptionBuilder.Generic().With("typeFilter", "").Json(), "typeFilter" },
        { "includeSubunits not a boolean", SubscriptionBuilder.Generic().With("includeSubunits", "yes").Json(), "includeSubunits" },
        { "not JSON", "{ nope", "body" },
    };

    [Theory]
    [MemberData(nameof(InvalidSubscriptions))]
    public async Task Post_InvalidSubscription_Returns400NamingTheField(string why, string body, string field)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Path, new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {response.StatusCode}");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: {problem}");
    }

    [Fact]
    public async Task Post_HttpToLoopback_IsAllowedInTests()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Path, SubscriptionBuilder.Generic().With("endPoint", "http://127.0.0.1:9/hook").Content());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Post_GenericWithoutSubscribeScope_Returns403()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd", scopes: "altinn:events.publish"));

        var response = await client.PostAsync(Path, SubscriptionBuilder.Generic().Content());

        await AssertProblemAsync(response, HttpStatusCode.Forbidden, "altinn:events.subscribe");
    }

    [Fact]
    public async Task Post_WhenThePolicyDenies_Returns403()
    {
        using var stranger = api.Client(TestTokens.ForUser(1339, 50004));
        using var otherOrg = api.Client(TestTokens.ForOrg("skd"));

        var userForAnotherParty = await stranger.PostAsync(Path, SubscriptionBuilder.App().With("subjectFilter", "/party/50001").Content());
        var orgForAnotherOrgsApp = await otherOrg.PostAsync(Path, SubscriptionBuilder.App().With("subjectFilter", "/party/50001").Content());
        var resourceWithoutPolicy = await otherOrg.PostAsync(Path, SubscriptionBuilder.Generic().With("resourceFilter", "urn:altinn:resource:no-such-resource").Content());

        await AssertProblemAsync(userForAnotherParty, HttpStatusCode.Forbidden, "read");
        await AssertProblemAsync(orgForAnotherOrgsApp, HttpStatusCode.Forbidden, "read");
        await AssertProblemAsync(resourceWithoutPolicy, HttpStatusCode.Forbidden, "subscribe");
    }

    [Fact]
    public async Task Post_WithoutToken_Returns401_AndAsAnApp_Returns403()
    {
        using var anonymous = api.Client();
        using var app = api.Client(TestTokens.ForApp("ttd", "apps-test"));

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(Path, SubscriptionBuilder.Generic().Content())).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await app.PostAsync(Path, SubscriptionBuilder.Generic().Content())).StatusCode);
    }

    [Fact]
    public async Task Get_ListsOnlyTheCallersSubscriptions()
    {
        using var mine = api.Client(TestTokens.ForUser(1337, 50001));
        using var other = api.Client(TestTokens.ForOrganisation("991825827"));
        var a = await CreateAsync(mine, SubscriptionBuilder.Generic().With("subjectFilter", "/party/50001"));
        var b = await CreateAsync(mine, SubscriptionBuilder.Generic().With("subjectFilter", "/party/50002"));
        var theirs = await CreateAsync(other, SubscriptionBuilder.Generic());

        var list = await mine.GetFromJsonAsync<JsonElement>(Path);

        var ids = list.GetProperty("subscriptions").EnumerateArray().Select(s => s.GetProperty("id").GetGuid()).ToList();
        Assert.Equal(ids.Count, list.GetProperty("count").GetInt32());
        Assert.Contains(a, ids);
        Assert.Contains(b, ids);
        Assert.DoesNotContain(theirs, ids);
        Assert.All(list.GetProperty("subscriptions").EnumerateArray(), s => Assert.Equal("/user/1337", s.GetProperty("consumer").GetString()));
        Assert.All(list.GetProperty("subscriptions").EnumerateArray(), s => Assert.False(s.TryGetProperty("secret", out _)));
    }

    [Fact]
    public async Task GetDeleteRotateValidate_AnotherConsumersSubscription_Return403_AndNone_Return404()
    {
        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        using var other = api.Client(TestTokens.ForOrganisation("991825827"));
        var id = await CreateAsync(owner, SubscriptionBuilder.Generic());
        var none = Guid.NewGuid();

        await AssertProblemAsync(await other.GetAsync($"{Path}/{id}"), HttpStatusCode.Forbidden, id.ToString());
        await AssertProblemAsync(await other.DeleteAsync($"{Path}/{id}"), HttpStatusCode.Forbidden, id.ToString());
        await AssertProblemAsync(await other.PostAsync($"{Path}/{id}/secret", null), HttpStatusCode.Forbidden, id.ToString());
        await AssertProblemAsync(await other.PostAsync($"{Path}/{id}/validate", null), HttpStatusCode.Forbidden, id.ToString());
        await AssertProblemAsync(await owner.GetAsync($"{Path}/{none}"), HttpStatusCode.NotFound, none.ToString());
        await AssertProblemAsync(await owner.DeleteAsync($"{Path}/{none}"), HttpStatusCode.NotFound, none.ToString());
        Assert.Equal(1, await CountAsync($"id = '{id}'"));
    }

    [Fact]
    public async Task Delete_OwnSubscription_Returns200WithTheDeletedSubscription_AndRemovesTheRow()
    {
        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        var id = await CreateAsync(owner, SubscriptionBuilder.Generic());

        var response = await owner.DeleteAsync($"{Path}/{id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var deleted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(id, deleted.GetProperty("id").GetGuid());
        Assert.False(deleted.TryGetProperty("secret", out _));
        Assert.Equal(0, await CountAsync($"id = '{id}'"));
        Assert.Equal(HttpStatusCode.NotFound, (await owner.GetAsync($"{Path}/{id}")).StatusCode);
    }

    [Fact]
    public async Task PostSecret_RotatesTheSecret_AndReturnsTheNewOneOnce()
    {
        using var owner = api.Client(TestTokens.ForOrg("ttd"));
        var created = await (await owner.PostAsync(Path, SubscriptionBuilder.Generic().Content())).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();

        var rotated = await owner.PostAsync($"{Path}/{id}/secret", null);

        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var secret = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString();
        Assert.StartsWith("whsec_", secret);
        Assert.NotEqual(created.GetProperty("secret").GetString(), secret);
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(secret, await connection.ExecuteScalarAsync<string>("SELECT secret FROM subscriptions WHERE id = @id", new { id }));
    }

    private static async Task<Guid> CreateAsync(HttpClient client, SubscriptionBuilder body)
    {
        var response = await client.PostAsync(Path, body.Content());
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task<int> CountAsync(string where)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>($"SELECT count(*) FROM subscriptions WHERE {where}");
    }

    internal static async Task AssertFieldAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body}");
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), body);
    }

    internal static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detailContains, JsonDocument.Parse(body).RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
