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
