using System.Net;
using Altinn.Events.IntegrationTests.Infrastructure;

namespace Altinn.Events.IntegrationTests.Identity;

/// <summary>
/// With several trusted issuers (as the deploy settings have) the scheme is chosen by the token's <c>iss</c>; a token
/// that cannot even be read for that is a 401, never a 500.
/// </summary>
public sealed class MultiIssuerTests(MultiIssuerTests.TwoIssuers api) : IClassFixture<MultiIssuerTests.TwoIssuers>
{
    public static TheoryData<string> MalformedTokens => new()
    {
        "a.b.c",
        "e30.e30.e30",
        "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln",
        "eyJ.eyJ.",
        "..",
        "a.b.c.d.e",
        "\u00e6\u00f8\u00e5.x.y",
    };

    [Theory]
    [MemberData(nameof(MalformedTokens))]
    public async Task AMalformedToken_Is401ProblemDetails(string token)
    {
        using var client = api.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/events/api/v1/whoami");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task AValidTokenOfEitherIssuer_IsAccepted()
    {
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/events/api/v1/whoami")).StatusCode);

        using var second = api.Client(TestTokens.Forger.Mint(new Dictionary<string, object> { ["urn:altinn:org"] = "ttd", ["scope"] = "altinn:events.publish" }, issuer: SecondIssuer));
        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync("/events/api/v1/whoami")).StatusCode);
    }

    private const string SecondIssuer = "https://second-issuer.example";

    /// <summary>The test issuer plus a second one (the forger's key under its own issuer name).</summary>
    public sealed class TwoIssuers : ApiFixture
    {
        protected override void Configure(Dictionary<string, string?> settings)
        {
            settings["Authentication:Issuers:second:Issuer"] = SecondIssuer;
            settings["Authentication:Issuers:second:JwksFile"] = TestTokens.Forger.JwksPath;
            settings["Authentication:Issuers:second:Audiences:0"] = Altinn.Events.Cli.DevIssuer.DevTokenIssuer.DefaultAudience;
        }
    }
}
