using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Operations;

/// <summary>
/// The operator API takes Entra tokens with the app role, validated by Microsoft.Identity.Web (only the signing keys are
/// the test tenant's); the public issuers' tokens never get in, and operator tokens are not accepted by the public API.
/// </summary>
public sealed class OperatorAuthorizationTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    public static TheoryData<string, string> Endpoints => new()
    {
        { "GET", "/operator/queues" },
        { "GET", "/operator/queues/{poison}/messages" },
        { "POST", "/operator/queues/{poison}/redrive" },
        { "POST", "/operator/queues/{poison}/discard" },
        { "GET", "/operator/backlog" },
    };

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryOperatorEndpoint_WithoutToken_Returns401ProblemDetails(string method, string path)
    {
        using var client = api.Client();

        var response = await SendAsync(client, method, path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryOperatorEndpoint_WithEntraTokenOfAnotherRole_Returns403NamingTheRole(string method, string path)
    {
        using var client = api.Client(TestTokens.ForOperator(roles: ["Events.Reader"]));

        var response = await SendAsync(client, method, path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(403, problem.GetProperty("status").GetInt32());
        Assert.Contains(TestTokens.OperatorRole, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [MemberData(nameof(Endpoints))]
    public async Task EveryOperatorEndpoint_WithTheRole_IsServed(string method, string path)
    {
        using var client = api.Client(TestTokens.ForOperator(roles: [TestTokens.OperatorRole]));

        var response = await SendAsync(client, method, path);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task DelegatedTokenWithScopeButNoRole_Returns403()
    {
        using var client = api.Client(TestTokens.ForOperator(scp: "access_as_user"));

        var response = await client.GetAsync("/operator/queues");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    public static TheoryData<string, string> RejectedTokens => new()
    {
        { "a public issuer's token (org with every scope)", TestTokens.ForOrg("ttd", "altinn:events.publish altinn:events.publish.admin altinn:events.subscribe") },
        { "a public issuer's token carrying the role", TestTokens.Trusted.Mint(new Dictionary<string, object> { ["urn:altinn:org"] = "ttd", ["roles"] = JsonSerializer.SerializeToElement(new[] { TestTokens.OperatorRole }) }) },
        { "the tenant's issuer, signed by an unknown key", TestTokens.ForOperator(roles: [TestTokens.OperatorRole], signer: TestTokens.Forger) },
        { "another audience", TestTokens.ForOperator(roles: [TestTokens.OperatorRole], audience: "api://someone-else") },
        { "expired", TestTokens.ForOperator(roles: [TestTokens.OperatorRole], lifetime: TimeSpan.FromMinutes(-10)) },
        { "the role, signed by the public issuer's key", TestTokens.ForOperator(roles: [TestTokens.OperatorRole], signer: TestTokens.Trusted) },
    };

    [Theory]
    [MemberData(nameof(RejectedTokens))]
    public async Task OperatorEndpoint_WithATokenNotFromTheTenant_Returns401(string why, string token)
    {
        using var client = api.Client(token);

        var response = await client.GetAsync("/operator/queues");

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why}: {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PublicEndpoint_WithOperatorToken_Returns401()
    {
        using var client = api.Client(TestTokens.ForOperator(roles: [TestTokens.OperatorRole]));

        var whoami = await client.GetAsync("/events/api/v1/whoami");
        var subscriptions = await client.GetAsync("/events/api/v1/subscriptions");

        Assert.Equal(HttpStatusCode.Unauthorized, whoami.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, subscriptions.StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path)
    {
        var url = path.Replace("{poison}", api.Queues.Inbound + "-poison", StringComparison.Ordinal);
        return method == "GET"
            ? client.GetAsync(url)
            : client.PostAsJsonAsync(url, new { max = 1 });
    }
}

/// <summary>Without <c>Operators:Entra</c> the operator API does not exist, and the rest of the API runs as before.</summary>
public sealed class OperatorNotConfiguredTests(OperatorNotConfiguredTests.Fixture api) : IClassFixture<OperatorNotConfiguredTests.Fixture>
{
    [Fact]
    public async Task OperatorRoutes_AreNotMapped_AndTheApiRuns()
    {
        using var operatorClient = api.Client(TestTokens.ForOperator(roles: [TestTokens.OperatorRole]));
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        Assert.Equal(HttpStatusCode.NotFound, (await operatorClient.GetAsync("/operator/queues")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/events/api/v1/whoami")).StatusCode);
    }

    public sealed class Fixture : ApiFixture
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            foreach (var key in settings.Keys.Where(k => k.StartsWith("Operators:", StringComparison.Ordinal)).ToList())
            {
                settings.Remove(key);
            }
        }
    }
}
