namespace Altinn.Events.Core.Identity;

/// <summary>
/// The one home of "the application owner": an org token whose org is the app's org. It may read every event of the
/// org's apps (<c>/app/{org}/{app}</c>), subscribe to them without a subject, and read their analytics.
/// </summary>
public static class AppOwner
{
    public static bool Owns(Caller caller, string org) =>
        caller.Kind == CallerKind.Org && string.Equals(caller.Org, org, StringComparison.Ordinal);

    /// <summary>Null when <paramref name="caller"/> owns <paramref name="org"/>'s apps; otherwise why not (a 403's detail).</summary>
    public static string? Refusal(Caller caller, string org, string app, string alternative) =>
        Owns(caller, org) ? null : $"Only the application owner {org} may read all events of {org}/{app}; {alternative}.";
}
