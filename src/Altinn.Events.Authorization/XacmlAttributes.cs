using Altinn.Events.Core.Authorization;

namespace Altinn.Events.Authorization;

/// <summary>The attribute ids Altinn's policies use, and the mapping from our requests to them.</summary>
internal static class XacmlAttributes
{
    public const string UserId = "urn:altinn:userid";
    public const string Org = "urn:altinn:org";
    public const string App = "urn:altinn:app";
    public const string OrganisationNumber = "urn:altinn:organization:identifier-no";
    public const string SystemUser = "urn:altinn:systemuser:uuid";
    public const string RoleCode = "urn:altinn:rolecode";
    public const string Resource = "urn:altinn:resource";
    public const string PartyId = "urn:altinn:partyid";
    public const string ActionId = "urn:oasis:names:tc:xacml:1.0:action:action-id";
    public const string MinimumAuthenticationLevel = "urn:altinn:minimum-authenticationlevel";
    public const string MinimumAuthenticationLevelOrg = "urn:altinn:minimum-authenticationlevel-org";

    public const string SubjectCategory = "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject";
    public const string ResourceCategory = "urn:oasis:names:tc:xacml:3.0:attribute-category:resource";
    public const string ActionCategory = "urn:oasis:names:tc:xacml:3.0:attribute-category:action";
    public const string StringType = "http://www.w3.org/2001/XMLSchema#string";

    /// <summary>
    /// The subject attribute of a consumer string, or null for a consumer the policies cannot name (those are
    /// denied without asking: a rule with no subject match would otherwise permit them).
    /// </summary>
    public static (string AttributeId, string Value)? Subject(string consumer)
    {
        var parts = consumer.Split('/');
        if (parts.Length != 3 || parts[0].Length != 0 || parts[2].Length == 0)
        {
            return null;
        }

        return parts[1] switch
        {
            "user" when int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _) => (UserId, parts[2]),
            "org" => (Org, parts[2]),
            "organisation" when parts[2].Length == 9 && parts[2].All(char.IsAsciiDigit) => (OrganisationNumber, parts[2]),
            "systemuser" when Guid.TryParse(parts[2], out _) => (SystemUser, parts[2]),
            _ => null,
        };
    }

    /// <summary>Whether the subject is an organisation system rather than a person (for the <c>-org</c> authentication-level obligation).</summary>
    public static bool IsOrganisationSubject(string consumer) =>
        consumer.StartsWith("/org/", StringComparison.Ordinal) || consumer.StartsWith("/organisation/", StringComparison.Ordinal);

    /// <summary>The resource id after <c>urn:altinn:resource:</c>, or null when the urn is not a resource urn.</summary>
    public static string? ResourceId(string resourceUrn) =>
        resourceUrn.StartsWith(AppResources.ResourcePrefix, StringComparison.Ordinal) && resourceUrn.Length > AppResources.ResourcePrefix.Length
            ? resourceUrn[AppResources.ResourcePrefix.Length..]
            : null;

    /// <summary>The resource attributes of a decision: resource id, for apps org and app, and the party when set.</summary>
    public static List<(string AttributeId, string Value)> ResourceAttributes(DecisionResource resource)
    {
        var attributes = new List<(string, string)>();
        if (ResourceId(resource.ResourceUrn) is { } id)
        {
            attributes.Add((Resource, id));
        }

        if (resource.AppId is var (org, app))
        {
            attributes.Add((Org, org));
            attributes.Add((App, app));
        }

        if (resource.PartyId is { } partyId)
        {
            attributes.Add((PartyId, partyId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return attributes;
    }

    /// <summary>
    /// Whether a permit's minimum-authentication-level obligations are met. An unknown level (a stored
    /// subscription) is not checked; organisation systems use the <c>-org</c> obligation when the policy has one.
    /// </summary>
    public static bool MeetsAuthenticationLevel(string consumer, int? authenticationLevel, IEnumerable<(string Category, string Value)> assignments)
    {
        if (authenticationLevel is not { } level)
        {
            return true;
        }

        var list = assignments.ToList();
        var category = IsOrganisationSubject(consumer) && list.Any(a => a.Category == MinimumAuthenticationLevelOrg)
            ? MinimumAuthenticationLevelOrg
            : MinimumAuthenticationLevel;
        foreach (var (_, value) in list.Where(a => a.Category == category))
        {
            // An obligation we cannot read is not met.
            if (!int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var minimum) || level < minimum)
            {
                return false;
            }
        }

        return true;
    }
}
