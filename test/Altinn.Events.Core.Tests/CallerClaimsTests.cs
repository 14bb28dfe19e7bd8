using System.Security.Claims;
using Altinn.Events.Core.Identity;

namespace Altinn.Events.Core.Tests;

public sealed class CallerClaimsTests
{
    [Theory]
    [InlineData("urn:altinn:org", "tt\u0000d")]
    [InlineData("urn:altinn:app", "ttd/apps\ntest")]
    public void AnIdentityClaimWithAControlCharacter_IsNoCaller(string claim, string escaped)
    {
        var caller = CallerClaims.FromClaims(Principal((claim, System.Text.RegularExpressions.Regex.Unescape(escaped))), out var reason);

        Assert.Null(caller);
        Assert.Contains(claim, reason);
    }

    [Fact]
    public void AnOrgClaimOverTheLimit_IsNoCaller() =>
        Assert.Null(CallerClaims.FromClaims(Principal(("urn:altinn:org", new string('o', 300))), out _));

    [Fact]
    public void MaskinportenConsumer_WithoutOrg_IsAnOrganisation()
    {
        var caller = Map(("consumer", "{\"authority\":\"iso6523-actorid-upis\",\"ID\":\"0192:991825827\"}"), ("scope", "altinn:events.subscribe"));

        Assert.Equal(CallerKind.Organisation, caller!.Kind);
        Assert.Equal("/organisation/991825827", caller.Consumer);
        Assert.True(caller.HasScope(Scopes.Subscribe));
    }

    [Fact]
    public void OrgClaim_WinsOverMaskinportenConsumer_AndKeepsTheOrganisationNumber()
    {
        var caller = Map(("urn:altinn:org", "ttd"), ("consumer", "{\"authority\":\"iso6523-actorid-upis\",\"ID\":\"0192:991825827\"}"));

        Assert.Equal("/org/ttd", caller!.Consumer);
        Assert.Equal("991825827", caller.OrganisationNumber);
    }

    [Theory]
    [InlineData("ttd/apps-test", null, "ttd", "apps-test")]
    [InlineData("apps-test", "ttd", "ttd", "apps-test")]
    public void AppClaim_InEitherForm_IsAnApp(string appClaim, string? orgClaim, string org, string app)
    {
        var claims = new List<(string, string)> { ("urn:altinn:app", appClaim) };
        if (orgClaim is not null)
        {
            claims.Add(("urn:altinn:org", orgClaim));
        }

        var caller = Map([.. claims]);

        Assert.Equal(CallerKind.App, caller!.Kind);
        Assert.Equal((org, app), (caller.Org, caller.App));
    }

    [Fact]
    public void AppClaim_WithoutOrg_IsRejectedWithReason()
    {
        var caller = CallerClaims.FromClaims(Principal(("urn:altinn:app", "apps-test")), out var reason);

        Assert.Null(caller);
        Assert.Contains("urn:altinn:app", reason);
    }

    [Theory]
    [InlineData("idporten-loa-high", 4)]
    [InlineData("idporten-loa-substantial", 3)]
    [InlineData("something-else", 0)]
    public void UserWithoutAuthLevelClaim_TakesTheLevelFromAcr(string acr, int level)
    {
        var caller = Map(("urn:altinn:userid", "1337"), ("acr", acr));

        Assert.Equal(level, caller!.AuthenticationLevel);
    }

    [Fact]
    public void Scopes_AreReadFromScopeAndAltinnScope()
    {
        var caller = Map(("urn:altinn:org", "ttd"), ("scope", "a b"), ("urn:altinn:scope", "c"));

        Assert.True(new[] { "a", "b", "c" }.All(caller!.HasScope));
    }

    [Fact]
    public void SystemUserAuthorizationDetails_IsASystemUser()
    {
        var caller = Map(("authorization_details", "{\"type\":\"urn:altinn:systemuser\",\"systemuser_id\":[\"abc-123\"],\"systemuser_org\":{\"authority\":\"iso6523-actorid-upis\",\"ID\":\"0192:991825827\"}}"));

        Assert.Equal("/systemuser/abc-123", caller!.Consumer);
        Assert.Equal("991825827", caller.OrganisationNumber);
    }

    [Theory]
    [InlineData("pid", "01017012345", "exchanged")]
    [InlineData("urn:altinn:userid", "not-a-number", "must be a number")]
    public void UnusableIdentity_IsRejectedWithReason(string claim, string value, string expected)
    {
        var caller = CallerClaims.FromClaims(Principal((claim, value)), out var reason);

        Assert.Null(caller);
        Assert.Contains(expected, reason);
    }

    private static Caller? Map(params (string Type, string Value)[] claims) => CallerClaims.FromClaims(Principal(claims), out _);

    private static ClaimsPrincipal Principal(params (string Type, string Value)[] claims) =>
        new(new ClaimsIdentity(claims.Select(c => new Claim(c.Type, c.Value)), "test"));
}
