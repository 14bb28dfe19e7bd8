namespace Altinn.Events.Core.Authorization;

/// <summary>App resources are <c>urn:altinn:resource:app_{org}_{app}</c>.</summary>
public static class AppResources
{
    public const string ResourcePrefix = "urn:altinn:resource:";
    private const string AppPrefix = ResourcePrefix + "app_";

    /// <summary>
    /// With <see cref="SqlNotLike"/>, <see cref="IsApp"/> as SQL <c>LIKE</c> patterns (escape <c>\</c>), for queries to
    /// pass as parameters: <c>resource LIKE @like AND resource NOT LIKE @notLike</c>. An underscore after at least one
    /// character of the org, followed by at least one character...
    /// </summary>
    public const string SqlLike = @"urn:altinn:resource:app\__%\__%";

    /// <summary>...and the org does not start with an underscore (<see cref="TryParse"/>: the first underscore splits).</summary>
    public const string SqlNotLike = @"urn:altinn:resource:app\_\_%";

    public static string For(string org, string app) => $"{AppPrefix}{org}_{app}";

    /// <summary>Whether <paramref name="resourceUrn"/> is an app resource (<see cref="TryParse"/> accepts it).</summary>
    public static bool IsApp(string resourceUrn) => TryParse(resourceUrn, out _, out _);

    /// <summary>Splits an app resource into org and app; the org code holds no underscore, the app name may.</summary>
    public static bool TryParse(string resourceUrn, out string org, out string app)
    {
        org = app = string.Empty;
        if (!resourceUrn.StartsWith(AppPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = resourceUrn.AsSpan(AppPrefix.Length);
        var split = rest.IndexOf('_');
        if (split <= 0 || split == rest.Length - 1)
        {
            return false;
        }

        org = rest[..split].ToString();
        app = rest[(split + 1)..].ToString();
        return true;
    }
}
