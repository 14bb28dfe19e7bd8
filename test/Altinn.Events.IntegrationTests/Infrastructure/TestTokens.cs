using System.Text.Json;
using Altinn.Events.Cli.DevIssuer;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>Tokens from a local test issuer whose public key the API under test trusts through a JWKS file.</summary>
public static class TestTokens
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "altinn-events-tests", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The issuer the API trusts.</summary>
    public static DevTokenIssuer Trusted { get; } = DevTokenIssuer.Open(Path.Combine(Root, "trusted"));

    /// <summary>Same issuer name, a key the API has never seen.</summary>
    public static DevTokenIssuer Forger { get; } = DevTokenIssuer.Open(Path.Combine(Root, "forger"));

    public static Dictionary<string, string?> IssuerSettings() => new()
    {
        ["Authentication:Issuers:test:Issuer"] = DevTokenIssuer.DefaultIssuer,
        ["Authentication:Issuers:test:JwksFile"] = Trusted.JwksPath,
        ["Authentication:Issuers:test:Audiences:0"] = DevTokenIssuer.DefaultAudience,
    };

    public static string ForOrg(string org, string scopes = "altinn:events.publish altinn:events.subscribe") =>
        Trusted.Mint(new Dictionary<string, object> { ["urn:altinn:org"] = org, ["scope"] = scopes });

    public static string ForOrganisation(string organisationNumber, string scopes = "altinn:events.subscribe") =>
        Trusted.Mint(new Dictionary<string, object>
        {
            ["consumer"] = JsonSerializer.SerializeToElement(new { authority = "iso6523-actorid-upis", ID = $"0192:{organisationNumber}" }),
            ["scope"] = scopes,
        });

    public static string ForUser(int userId, int partyId, int authLevel = 3, string scopes = "altinn:events.subscribe") =>
        Trusted.Mint(new Dictionary<string, object>
        {
            ["urn:altinn:userid"] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["urn:altinn:partyid"] = partyId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["urn:altinn:authlevel"] = authLevel.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["scope"] = scopes,
        });

    public static string ForApp(string org, string app) =>
        Trusted.Mint(new Dictionary<string, object> { ["urn:altinn:app"] = $"{org}/{app}", ["urn:altinn:org"] = org });

    public static string ForSystemUser(string systemUserId, string organisationNumber, string scopes = "altinn:events.subscribe") =>
        Trusted.Mint(new Dictionary<string, object>
        {
            ["authorization_details"] = JsonSerializer.SerializeToElement(new
            {
                type = "urn:altinn:systemuser",
                systemuser_id = new[] { systemUserId },
                systemuser_org = new { authority = "iso6523-actorid-upis", ID = $"0192:{organisationNumber}" },
            }),
            ["scope"] = scopes,
        });
}
