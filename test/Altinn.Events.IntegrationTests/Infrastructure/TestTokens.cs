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

    /// <summary>Stands in for the operators' Entra tenant: its key replaces the tenant's published signing keys.</summary>
    public static DevTokenIssuer Entra { get; } = DevTokenIssuer.Open(Path.Combine(Root, "entra"));

    public const string OperatorTenant = "7d3f3c1e-2b4a-4d1b-9c55-0a1e2f3b4c5d";

    public const string OperatorClientId = "4b6f0e2a-9d8c-4e7f-a1b2-c3d4e5f60718";

    public const string OperatorRole = "Events.Operator";

    public static string OperatorIssuer => $"https://login.microsoftonline.com/{OperatorTenant}/v2.0";

    /// <summary>The operator API's Microsoft.Identity.Web settings, with only the signing keys replaced by <see cref="Entra"/>'s.</summary>
    public static Dictionary<string, string?> OperatorSettings() => new()
    {
        ["Operators:Entra:Instance"] = "https://login.microsoftonline.com/",
        ["Operators:Entra:TenantId"] = OperatorTenant,
        ["Operators:Entra:ClientId"] = OperatorClientId,
        ["Operators:JwksFile"] = Entra.JwksPath,
    };

    /// <summary>
    /// An Entra v2.0 access token as the tenant issues it to an app or a person with app roles: <c>iss</c> of the tenant,
    /// <c>aud</c> the API's client id, <c>tid</c>, <c>oid</c>, <c>azp</c>, <c>ver</c>, and <c>roles</c> (or <c>scp</c>).
    /// </summary>
    public static string ForOperator(
        string[]? roles = null,
        string? scp = null,
        DevTokenIssuer? signer = null,
        string? audience = null,
        string? issuer = null,
        TimeSpan? lifetime = null)
    {
        var claims = new Dictionary<string, object>
        {
            ["tid"] = OperatorTenant,
            ["oid"] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            ["sub"] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            ["azp"] = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            ["azpacr"] = "1",
            ["ver"] = "2.0",
        };
        if (roles is not null)
        {
            claims["roles"] = JsonSerializer.SerializeToElement(roles);
        }

        if (scp is not null)
        {
            claims["scp"] = scp;
        }

        return (signer ?? Entra).Mint(claims, lifetime, issuer ?? OperatorIssuer, audience ?? OperatorClientId);
    }

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
