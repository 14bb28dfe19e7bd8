namespace Altinn.Events.Core.Authorization;

/// <summary>
/// The one decision interface: publish, query, subscriptions and the inbound stage all ask it, many
/// requests at a time (a XACML multi-decision request). Implementations answer in request order and
/// deny whatever they could not decide: a failure never permits.
/// </summary>
public interface IAuthorizationDecider
{
    Task<IReadOnlyList<bool>> DecideAsync(IReadOnlyList<DecisionRequest> requests, CancellationToken cancellationToken);
}

/// <summary>May <paramref name="Consumer"/> perform <paramref name="Action"/> on <paramref name="Resource"/>?</summary>
/// <param name="Consumer">A consumer string (<c>/user/1337</c>, <c>/org/ttd</c>, <c>/organisation/991825827</c>, <c>/systemuser/{uuid}</c>).</param>
/// <param name="Action">One of <see cref="Actions"/>.</param>
/// <param name="Resource">What is acted on.</param>
/// <param name="AuthenticationLevel">The caller's authentication level, checked against a policy's minimum; null when not known (a stored subscription).</param>
public sealed record DecisionRequest(string Consumer, string Action, DecisionResource Resource, int? AuthenticationLevel = null);

/// <summary>The resource side of a decision.</summary>
/// <param name="ResourceUrn">The event's or filter's resource, <c>urn:altinn:resource:{id}</c> (apps: <c>urn:altinn:resource:app_{org}_{app}</c>).</param>
/// <param name="PartyId">The party the event is about, when it is about one (<c>/party/{id}</c> subjects).</param>
public sealed record DecisionResource(string ResourceUrn, int? PartyId)
{
    /// <summary>For app resources, the owning org and app name parsed from <see cref="ResourceUrn"/>; otherwise null.</summary>
    public (string Org, string App)? AppId => AppResources.TryParse(ResourceUrn, out var org, out var app) ? (org, app) : null;
}

/// <summary>The actions the contract authorizes.</summary>
public static class Actions
{
    public const string Publish = "publish";
    public const string Subscribe = "subscribe";
    public const string Read = "read";

    /// <summary>What a consumer needs to receive events of <paramref name="resource"/>: <c>read</c> on an app, <c>subscribe</c> on anything else.</summary>
    public static string ToReceive(string resource) => AppResources.TryParse(resource, out _, out _) ? Read : Subscribe;
}

/// <summary>App resources are <c>urn:altinn:resource:app_{org}_{app}</c>.</summary>
public static class AppResources
{
    public const string ResourcePrefix = "urn:altinn:resource:";
    private const string AppPrefix = ResourcePrefix + "app_";

    public static string For(string org, string app) => $"{AppPrefix}{org}_{app}";

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

/// <summary>
/// The decision point could not answer (timeout, error, malformed answer). Nothing is permitted: API callers get a 503
/// and the inbound stage retries the message, so an outage neither leaks events nor silently drops or skips them.
/// </summary>
public sealed class AuthorizationUnavailableException : Exception
{
    public AuthorizationUnavailableException(string reason)
        : base($"The authorization service could not decide: {reason}")
    {
    }

    public AuthorizationUnavailableException(string reason, Exception innerException)
        : base($"The authorization service could not decide: {reason}", innerException)
    {
    }

    public AuthorizationUnavailableException()
    {
    }
}
