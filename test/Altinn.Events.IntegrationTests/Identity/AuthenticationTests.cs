using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.Cli.DevIssuer;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Identity;

/// <summary>Tokens are validated for real: signature, issuer, audience, lifetime; each identity maps to its consumer.</summary>
public sealed class AuthenticationTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string WhoAmI = "/events/api/v1/whoami";

    public static TheoryData<string, string> BadTokens => new()
    {
        { "no token", string.Empty },
        { "not a JWT", "not-a-token" },
        { "signed by an unknown key", TestTokens.Forger.Mint(OrgClaims()) },
        { "wrong issuer", TestTokens.Trusted.Mint(OrgClaims(), issuer: "https://someone-else.example") },
        { "wrong audience", TestTokens.Trusted.Mint(OrgClaims(), audience: "another-api") },
        { "expired", TestTokens.Trusted.Mint(OrgClaims(), lifetime: TimeSpan.FromMinutes(-10)) },
        { "not yet valid", TestTokens.Trusted.Mint(OrgClaims(), now: DateTimeOffset.UtcNow.AddHours(1)) },
        { "unsigned", UnsignedToken() },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task ProtectedEndpoint_WithBadToken_Returns401ProblemDetails(string why, string token)
    {
        using var client = api.Client(token.Length == 0 ? null : token);

        var response = await client.GetAsync(WhoAmI);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, why);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString());
    }

    public static TheoryData<string, string, string> Identities => new()
    {
        { TestTokens.ForOrg("ttd"), "Org", "/org/ttd" },
        { TestTokens.ForOrganisation("991825827"), "Organisation", "/organisation/991825827" },
        { TestTokens.ForUser(1337, 50001), "User", "/user/1337" },
        { TestTokens.ForSystemUser("6f3c2a8e-0d7b-4f1e-9a55-3b2c1d0e9f88", "991825827"), "SystemUser", "/systemuser/6f3c2a8e-0d7b-4f1e-9a55-3b2c1d0e9f88" },
        { TestTokens.ForApp("ttd", "apps-test"), "App", "/app/ttd/apps-test" },
    };

    [Theory]
    [MemberData(nameof(Identities))]
    public async Task EachIdentityKind_MapsToItsConsumerString(string token, string kind, string consumer)
    {
        using var client = api.Client(token);

        var me = await client.GetFromJsonAsync<JsonElement>(WhoAmI);

        Assert.Equal(kind, me.GetProperty("kind").GetString());
        Assert.Equal(consumer, me.GetProperty("consumer").GetString());
    }

    [Fact]
    public async Task User_ScopesAndPartyAndLevel_AreReadFromTheToken()
    {
        using var client = api.Client(TestTokens.ForUser(1337, 50001, authLevel: 4, scopes: "altinn:events.subscribe openid"));

        var me = await client.GetFromJsonAsync<JsonElement>(WhoAmI);

        Assert.Equal(50001, me.GetProperty("partyId").GetInt32());
        Assert.Equal(4, me.GetProperty("authenticationLevel").GetInt32());
        Assert.Equal(["altinn:events.subscribe", "openid"], me.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()));
    }

    [Fact]
    public async Task ValidTokenNamingNoKnownIdentity_Returns403SayingWhy()
    {
        using var client = api.Client(TestTokens.Trusted.Mint(new Dictionary<string, object> { ["scope"] = "altinn:events.subscribe" }));

        var response = await client.GetAsync(WhoAmI);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("names no org", problem.GetProperty("detail").GetString());
    }

    private static Dictionary<string, object> OrgClaims() => new() { ["urn:altinn:org"] = "ttd", ["scope"] = "altinn:events.publish" };

    private static string UnsignedToken()
    {
        static string B64(string json) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return $"{B64("{\"alg\":\"none\",\"typ\":\"JWT\"}")}.{B64($"{{\"iss\":\"{DevTokenIssuer.DefaultIssuer}\",\"aud\":\"{DevTokenIssuer.DefaultAudience}\",\"exp\":{exp},\"urn:altinn:org\":\"ttd\"}}")}.";
    }
}
