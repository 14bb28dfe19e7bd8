using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Errors;

/// <summary>Control characters and broken text in a query string are a 400 naming the parameter, never a 500.</summary>
public sealed class TextInputTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> Hostile => new()
    {
        { "/events/api/v1/events?resource=urn:altinn:resource:ttd-events-test&after=%00", "after" },
        { "/events/api/v1/events?resource=urn:altinn:resource:ttd-events-test&subject=%2Fparty%2F1%00", "subject" },
        { "/events/api/v1/events?resource=urn:altinn:resource:ttd-events-test&type=a%01b", "type" },
        { "/events/api/v1/events?resource=urn:altinn:resource:ttd-events-test&source=x%0Ay", "source" },
        { "/events/api/v1/app/party?after=%00&person=01017012345", "after" },
        { "/events/api/v1/app/ttd/apps-test?from=2026-01-01&after=%1F", "after" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task AControlCharacterInAQueryParameter_Is400NamingIt(string url, string field)
    {
        using var client = api.Client(TestTokens.ForOrg("ttd", "altinn:events.subscribe altinn:events.publish"));

        var response = await client.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"no error for {field}: {problem}");
    }

    [Fact]
    public async Task PrintableTextWithAPairedSurrogate_PassesTheRule()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd", "altinn:events.subscribe"));

        var response = await client.GetAsync("/events/api/v1/events?resource=urn:altinn:resource:ttd-events-test&after=0&type=" + Uri.EscapeDataString("caf\u00e9.\U0001F600"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
