namespace Altinn.Events.Core.Identity;

/// <summary>The kinds of caller the HTTP contract knows.</summary>
public enum CallerKind
{
    /// <summary>An application owner (service owner) system: <c>urn:altinn:org</c>.</summary>
    Org,

    /// <summary>An organisation system through Maskinporten, not a service owner: <c>consumer</c> / <c>urn:altinn:orgNumber</c>.</summary>
    Organisation,

    /// <summary>An end user through ID-porten: <c>urn:altinn:userid</c>.</summary>
    User,

    /// <summary>A system user acting for an organisation.</summary>
    SystemUser,

    /// <summary>An app in Altinn Apps publishing its own events (<c>POST /app</c>).</summary>
    App,
}

/// <summary>
/// Who is calling, as established from a validated token. One model for every identity kind; the
/// <see cref="Consumer"/> string is what subscriptions store and what authorization decides for.
/// </summary>
public sealed record Caller
{
    public required CallerKind Kind { get; init; }

    /// <summary>Service owner code (<c>ttd</c>) for <see cref="CallerKind.Org"/> and <see cref="CallerKind.App"/>.</summary>
    public string? Org { get; init; }

    /// <summary>App name for <see cref="CallerKind.App"/>.</summary>
    public string? App { get; init; }

    /// <summary>The organisation number of an org or organisation caller, when the token carries one.</summary>
    public string? OrganisationNumber { get; init; }

    public int? UserId { get; init; }

    /// <summary>The party the user acts as (their own party), from <c>urn:altinn:partyid</c>.</summary>
    public int? PartyId { get; init; }

    /// <summary>The system user id (a uuid).</summary>
    public string? SystemUserId { get; init; }

    /// <summary>Authentication level (0-4) of an end user; organisation systems count as 3.</summary>
    public int AuthenticationLevel { get; init; }

    public IReadOnlySet<string> Scopes { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// <c>/org/{org}</c>, <c>/user/{id}</c>, <c>/organisation/{orgNo}</c>, <c>/systemuser/{id}</c> or, for an app,
    /// <c>/app/{org}/{app}</c>.
    /// </summary>
    public string Consumer => Kind switch
    {
        CallerKind.Org => Consumers.ForOrg(Org!),
        CallerKind.Organisation => Consumers.ForOrganisation(OrganisationNumber!),
        CallerKind.User => Consumers.ForUser(UserId!.Value),
        CallerKind.SystemUser => Consumers.ForSystemUser(SystemUserId!),
        CallerKind.App => $"/app/{Org}/{App}",
        _ => throw new InvalidOperationException($"Unknown caller kind {Kind}."),
    };

    public bool HasScope(string scope) => Scopes.Contains(scope);
}

/// <summary>Builds and reads consumer strings.</summary>
public static class Consumers
{
    public static string ForOrg(string org) => $"/org/{org}";

    public static string ForUser(int userId) => FormattableString.Invariant($"/user/{userId}");

    public static string ForOrganisation(string organisationNumber) => $"/organisation/{organisationNumber}";

    public static string ForSystemUser(string systemUserId) => $"/systemuser/{systemUserId}";
}

/// <summary>The scopes the contract uses.</summary>
public static class Scopes
{
    public const string Publish = "altinn:events.publish";
    public const string PublishAdmin = "altinn:events.publish.admin";
    public const string Subscribe = "altinn:events.subscribe";
    public const string ServiceOwner = "altinn:serviceowner";
}
