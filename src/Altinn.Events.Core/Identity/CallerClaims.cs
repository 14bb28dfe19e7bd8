using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Altinn.Events.Core.Input;

namespace Altinn.Events.Core.Identity;

/// <summary>
/// Maps the claims of a validated token to a <see cref="Caller"/>. The claim names are those of the Altinn
/// token exchange, Maskinporten and ID-porten; the token handler must keep them as they are (no inbound mapping).
/// </summary>
public static class CallerClaims
{
    public const string Org = "urn:altinn:org";
    public const string OrgNumber = "urn:altinn:orgNumber";
    public const string App = "urn:altinn:app";
    public const string UserId = "urn:altinn:userid";
    public const string PartyId = "urn:altinn:partyid";
    public const string AuthLevel = "urn:altinn:authlevel";
    public const string AltinnScope = "urn:altinn:scope";
    public const string Scope = "scope";
    public const string MaskinportenConsumer = "consumer";
    public const string AuthorizationDetails = "authorization_details";
    public const string Pid = "pid";
    public const string Acr = "acr";

    /// <summary>Returns the caller, or null with the reason when the token does not say who it is.</summary>
    public static Caller? FromClaims(ClaimsPrincipal principal, out string? reason)
    {
        reason = null;
        var scopes = ReadScopes(principal);
        var org = Value(principal, Org);
        var app = Value(principal, App);
        var orgNumber = Value(principal, OrgNumber) ?? MaskinportenOrganisationNumber(Value(principal, MaskinportenConsumer));

        // The identity becomes the consumer, which is stored and indexed: the text rule holds for it too.
        foreach (var (claim, value) in new[] { (Org, org), (App, app), (OrgNumber, orgNumber), (AuthorizationDetails, SystemUserId(Value(principal, AuthorizationDetails))?.Id) })
        {
            if (value is not null && TextRules.Problem(value, claim, InputLimits.MaxIdentityBytes) is not null)
            {
                reason = $"The {claim} claim must be printable text of at most {InputLimits.MaxIdentityBytes} bytes.";
                return null;
            }
        }

        if (app is not null)
        {
            // "ttd/apps-test", or the app name alone next to urn:altinn:org.
            var slash = app.IndexOf('/', StringComparison.Ordinal);
            var appOrg = slash > 0 ? app[..slash] : org;
            var appName = slash > 0 ? app[(slash + 1)..] : app;
            if (string.IsNullOrEmpty(appOrg) || string.IsNullOrEmpty(appName))
            {
                reason = $"The {App} claim must be '{{org}}/{{app}}' or come with {Org}.";
                return null;
            }

            return new Caller { Kind = CallerKind.App, Org = appOrg, App = appName, Scopes = scopes, AuthenticationLevel = 3 };
        }

        if (SystemUserId(Value(principal, AuthorizationDetails)) is { } systemUser)
        {
            return new Caller { Kind = CallerKind.SystemUser, SystemUserId = systemUser.Id, OrganisationNumber = systemUser.OrgNumber, Scopes = scopes, AuthenticationLevel = 3 };
        }

        if (org is not null)
        {
            return new Caller { Kind = CallerKind.Org, Org = org, OrganisationNumber = orgNumber, Scopes = scopes, AuthenticationLevel = 3 };
        }

        if (Value(principal, UserId) is { } userIdText)
        {
            if (!int.TryParse(userIdText, NumberStyles.None, CultureInfo.InvariantCulture, out var userId))
            {
                reason = $"The {UserId} claim must be a number.";
                return null;
            }

            return new Caller
            {
                Kind = CallerKind.User,
                UserId = userId,
                PartyId = int.TryParse(Value(principal, PartyId), NumberStyles.None, CultureInfo.InvariantCulture, out var party) ? party : null,
                AuthenticationLevel = AuthenticationLevel(principal),
                Scopes = scopes,
            };
        }

        if (orgNumber is not null)
        {
            return new Caller { Kind = CallerKind.Organisation, OrganisationNumber = orgNumber, Scopes = scopes, AuthenticationLevel = 3 };
        }

        reason = Value(principal, Pid) is not null
            ? $"An ID-porten token must be exchanged for an Altinn token (with {UserId}) before it can be used here."
            : $"The token names no org, organisation, user, system user or app ({Org}, {OrgNumber}, consumer, {UserId}, {AuthorizationDetails}, {App}).";
        return null;
    }

    private static string? Value(ClaimsPrincipal principal, string type) =>
        principal.FindFirst(type)?.Value is { Length: > 0 } value ? value : null;

    private static HashSet<string> ReadScopes(ClaimsPrincipal principal)
    {
        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in principal.Claims.Where(c => c.Type is Scope or AltinnScope))
        {
            scopes.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        return scopes;
    }

    private static int AuthenticationLevel(ClaimsPrincipal principal)
    {
        if (int.TryParse(Value(principal, AuthLevel), NumberStyles.None, CultureInfo.InvariantCulture, out var level))
        {
            return level;
        }

        return Value(principal, Acr) switch
        {
            "idporten-loa-high" or "Level4" => 4,
            "idporten-loa-substantial" or "Level3" => 3,
            "idporten-loa-low" => 2,
            _ => 0,
        };
    }

    /// <summary>Maskinporten: <c>{"authority":"iso6523-actorid-upis","ID":"0192:991825827"}</c>.</summary>
    private static string? MaskinportenOrganisationNumber(string? consumerJson)
    {
        if (consumerJson is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(consumerJson);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("ID", out var id)
                && id.GetString() is { } value)
            {
                var colon = value.LastIndexOf(':');
                return colon >= 0 ? value[(colon + 1)..] : value;
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    /// <summary>System user tokens: <c>authorization_details: {"type":"urn:altinn:systemuser","systemuser_id":["uuid"],"systemuser_org":{"ID":"0192:orgno"}}</c>.</summary>
    private static (string Id, string? OrgNumber)? SystemUserId(string? detailsJson)
    {
        if (detailsJson is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(detailsJson);
            var details = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement.EnumerateArray().ToArray() : [doc.RootElement];
            foreach (var d in details)
            {
                if (d.ValueKind == JsonValueKind.Object
                    && d.TryGetProperty("type", out var type) && type.GetString() == "urn:altinn:systemuser"
                    && d.TryGetProperty("systemuser_id", out var ids) && ids.ValueKind == JsonValueKind.Array
                    && ids.EnumerateArray().FirstOrDefault().GetString() is { Length: > 0 } id)
                {
                    string? orgNumber = null;
                    if (d.TryGetProperty("systemuser_org", out var sysOrg) && sysOrg.ValueKind == JsonValueKind.Object
                        && sysOrg.TryGetProperty("ID", out var orgId) && orgId.GetString() is { } orgValue)
                    {
                        orgNumber = orgValue[(orgValue.LastIndexOf(':') + 1)..];
                    }

                    return (id, orgNumber);
                }
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }
}
