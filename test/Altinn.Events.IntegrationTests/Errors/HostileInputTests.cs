using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Altinn.Events.Persistence.Events;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Altinn.Events.IntegrationTests.Errors;

/// <summary>The API host with a writer that counts the requests reaching the group commit.</summary>
public sealed class CountingWriterApiFixture : SubscriptionsApiFixture
{
    public CountingWriter Writer => (CountingWriter)Factory.Services.GetRequiredService<IEventWriter>();

    protected override void ConfigureServices(IServiceCollection services)
    {
        base.ConfigureServices(services);
        services.Replace(ServiceDescriptor.Singleton<IEventWriter>(sp => new CountingWriter(sp.GetRequiredService<GroupCommitEventWriter>())));
    }
}

/// <summary>Passes writes on to the real writer and counts them.</summary>
public sealed class CountingWriter(IEventWriter inner) : IEventWriter
{
    private int _writes;

    public int Writes => Volatile.Read(ref _writes);

    public Task<WriteResult> WriteAsync(IReadOnlyList<NewEvent> events, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _writes);
        return inner.WriteAsync(events, cancellationToken);
    }
}

/// <summary>
/// Each request the issue-15 sweep measured as a 500 (or wrongly accepted) is now a 400 ValidationProblemDetails naming
/// the field; nothing of it is stored, and a rejected publish never reaches the group commit.
/// </summary>
public sealed class HostileInputTests(CountingWriterApiFixture api) : IClassFixture<CountingWriterApiFixture>
{
    private const string Base = "/events/api/v1";
    private const string CloudEvents = "application/cloudevents+json";
    private static readonly string FewKilobytes = new('x', 4 * 1024);

    [Theory]
    [InlineData("/events?resource=urn:altinn:resource:ttd-events-test&after=%00", "after")]
    [InlineData("/events?resource=urn:altinn:resource:ttd-events-test&after=0&subject=%2Fparty%2F50001%00", "subject")]
    [InlineData("/events?resource=urn:altinn:resource:ttd-events-test&after=0&type=a%00", "type")]
    [InlineData("/app/party?party=50001&after=0&source=https%3A%2F%2Fttd.apps.altinn.no%2F%00", "source")]
    public async Task Query_NulInAfterSubjectTypeOrSource_Is400NamingIt(string url, string field)
    {
        using var client = api.Client(url.StartsWith("/app/party", StringComparison.Ordinal) ? TestTokens.ForUser(1337, 50001) : TestTokens.ForOrg("ttd"));

        var response = await client.GetAsync(Base + url);

        await AssertInvalidAsync(response, field);
    }

    [Fact]
    public async Task Publish_LoneSurrogateInTheEventId_Is400OnId_AndStoresNothing()
    {
        var body = EventBuilder.Generic().Json().Replace("\"id\":\"", "\"id\":\"\\ud800", StringComparison.Ordinal);

        await AssertRejectedPublishAsync("/events", TestTokens.ForOrg("ttd"), body, "id");
    }

    [Fact]
    public async Task PublishApp_LoneSurrogateInTheSubject_Is400OnSubject_AndStoresNothing()
    {
        var body = EventBuilder.App().Json().Replace("\"subject\":\"/party/50001\"", "\"subject\":\"/party/50001\\udc00\"", StringComparison.Ordinal);

        await AssertRejectedPublishAsync("/app", TestTokens.ForApp("ttd", "apps-test"), body, "subject");
    }

    [Fact]
    public async Task Publish_AnIdOfAFewKilobytes_Is400OnId_AndStoresNothing() =>
        await AssertRejectedPublishAsync("/events", TestTokens.ForOrg("ttd"), EventBuilder.Generic().With("id", FewKilobytes).Json(), "id");

    [Fact]
    public async Task Publish_ASubjectOfAFewKilobytes_Is400OnSubject_AndStoresNothing() =>
        await AssertRejectedPublishAsync("/events", TestTokens.ForOrg("ttd"), EventBuilder.Generic().With("subject", "/party/" + FewKilobytes).Json(), "subject");

    [Fact]
    public async Task PublishApp_ASubjectOfAFewKilobytes_Is400OnSubject_AndStoresNothing() =>
        await AssertRejectedPublishAsync("/app", TestTokens.ForApp("ttd", "apps-test"), EventBuilder.App().With("subject", "/party/" + FewKilobytes).Json(), "subject");

    [Fact]
    public async Task Publish_AnIdJustUnderTheLimit_IsStored()
    {
        var id = new string('i', 1000) + Guid.NewGuid().ToString("N")[..24];
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Base + "/events", Body(EventBuilder.Generic().With("id", id).Json()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM events WHERE id = @id", new { id }));
    }

    [Fact]
    public async Task PublishApp_ADuplicatedKey_Is400NamingIt_AndStoresNothing()
    {
        var body = EventBuilder.App().Json().TrimEnd('}') + ",\"type\":\"app.instance.other\"}";

        await AssertRejectedPublishAsync("/app", TestTokens.ForApp("ttd", "apps-test"), body, "type");
    }

    [Fact]
    public async Task Publish_SpecversionGivenTwice_Is400OnSpecversion_AndStoresNothing()
    {
        var body = EventBuilder.Generic().Json().TrimEnd('}') + ",\"specversion\":\"1.0\"}";

        await AssertRejectedPublishAsync("/events", TestTokens.ForOrg("ttd"), body, "specversion");
    }

    [Fact]
    public async Task PublishBatch_ADuplicatedKeyInOneEntry_Is400NamingTheEntry_AndStoresNone()
    {
        var good = EventBuilder.Generic();
        var bad = EventBuilder.Generic().Json().TrimEnd('}') + ",\"source\":\"https://tests.example/other\"}";
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var writes = api.Writer.Writes;

        var response = await client.PostAsync(Base + "/events", Body($"[{good.Json()},{bad}]", "application/cloudevents-batch+json"));

        await AssertInvalidAsync(response, "[1].source");
        Assert.Equal(writes, api.Writer.Writes);
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM events WHERE id = @id", new { id = good.Id }));
    }

    [Fact]
    public async Task Subscription_NulInTheTypeFilter_Is400OnTypeFilter_AndStoresNothing()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var before = await CountAsync("SELECT count(*) FROM subscriptions");

        var response = await client.PostAsync(Base + "/subscriptions", new StringContent(
            """{"endPoint":"https://hooks.example.com/a","resourceFilter":"urn:altinn:resource:ttd-events-test","typeFilter":"order.created\u0000"}""",
            Encoding.UTF8,
            "application/json"));

        await AssertInvalidAsync(response, "typeFilter");
        Assert.Equal(before, await CountAsync("SELECT count(*) FROM subscriptions"));
    }

    [Fact]
    public async Task Subscription_AMemberGivenTwiceInAnotherCasing_Is400()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Base + "/subscriptions", new StringContent(
            """{"endPoint":"https://hooks.example.com/a","resourceFilter":"urn:altinn:resource:ttd-events-test","ResourceFilter":"urn:altinn:resource:other"}""",
            Encoding.UTF8,
            "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("""{"enabled":false,"ENABLED":true}""", "ENABLED")]
    [InlineData("""{"filters":[],"Filters":[]}""", "Filters")]
    public async Task SubscriptionPatch_AMemberGivenTwiceInAnotherCasing_Is400NamingIt_AndChangesNothing(string body, string field)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var created = await client.PostAsync(Base + "/subscriptions", new StringContent(
            """{"endPoint":"https://hooks.example.com/patched-twice","resourceFilter":"urn:altinn:resource:ttd-events-test"}""", Encoding.UTF8, "application/json"));
        var id = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var response = await client.PatchAsync(Base + $"/subscriptions/{id}", new StringContent(body, Encoding.UTF8, "application/merge-patch+json"));

        await AssertInvalidAsync(response, field);
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM subscriptions WHERE id = @id AND enabled", new { id }));
    }

    [Fact]
    public async Task PartyQuery_ABackslashSource_WithDataPresent_Is400OnSource_AndAnEscapedOneWorks()
    {
        using var app = api.Client(TestTokens.ForApp("ttd", "apps-test"));
        var published = await app.PostAsync(Base + "/app", Body(EventBuilder.App().Json()));
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        using var user = api.Client(TestTokens.ForUser(1337, 50001));

        var lone = await user.GetAsync(Base + "/app/party?party=50001&after=0&source=%5C");
        var trailing = await user.GetAsync(Base + "/app/party?party=50001&after=0&source=https%3A%2F%2Fttd.apps.altinn.no%2F%25%5C");
        var escaped = await user.GetAsync(Base + "/app/party?party=50001&after=0&source=https%3A%2F%2Fttd.apps.altinn.no%2F%25%5C%5C");
        var wildcard = await user.GetAsync(Base + "/app/party?party=50001&after=0&source=https%3A%2F%2Fttd.apps.altinn.no%2F%25");

        await AssertInvalidAsync(lone, "source");
        await AssertInvalidAsync(trailing, "source");
        Assert.Equal(HttpStatusCode.OK, escaped.StatusCode);
        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        Assert.NotEmpty((await wildcard.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray());
    }

    [Fact]
    public async Task Query_AParameterOverTheLimit_Is400NamingIt()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.GetAsync(Base + "/events?resource=urn:altinn:resource:ttd-events-test&after=" + FewKilobytes);

        await AssertInvalidAsync(response, "after");
    }

    [Fact]
    public async Task Query_ANulInTheAlternativeSubjectHeader_Is400NamingTheHeader()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        using var request = new HttpRequestMessage(HttpMethod.Get, Base + "/events?resource=urn:altinn:resource:ttd-events-test&after=0");
        request.Headers.TryAddWithoutValidation("Altinn-AlternativeSubject", "/person/01017012345\0");

        var response = await client.SendAsync(request);

        await AssertInvalidAsync(response, "Altinn-AlternativeSubject");
    }

    [Fact]
    public async Task Redelivery_ADuplicatedKey_Is400NamingIt_AndALoneSurrogate_Is400()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        var created = await client.PostAsync(Base + "/subscriptions", new StringContent(
            $$"""{"endPoint":"https://hooks.example.com/{{Guid.NewGuid():N}}","resourceFilter":"urn:altinn:resource:ttd-events-test"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var twice = await client.PostAsync(Base + $"/subscriptions/{id}/redeliver", new StringContent("""{"after":"1","after":"2"}""", Encoding.UTF8, "application/json"));
        var surrogate = await client.PostAsync(Base + $"/subscriptions/{id}/redeliver", new StringContent("""{"after":"\ud800"}""", Encoding.UTF8, "application/json"));

        await AssertInvalidAsync(twice, "after");
        await AssertInvalidAsync(surrogate, "after");
    }

    private async Task AssertRejectedPublishAsync(string path, string token, string body, string field)
    {
        using var client = api.Client(token);
        var before = await CountAsync("SELECT count(*) FROM events");
        var writes = api.Writer.Writes;

        var response = await client.PostAsync(Base + path, Body(body));

        await AssertInvalidAsync(response, field);
        Assert.Equal(writes, api.Writer.Writes);
        Assert.Equal(before, await CountAsync("SELECT count(*) FROM events"));
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {text}");
    }

    private static StringContent Body(string json, string contentType = CloudEvents) => new(json, Encoding.UTF8, contentType);

    private async Task<long> CountAsync(string sql, object? parameters = null)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(sql, parameters);
    }
}
