using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.Core.Authorization;
using Microsoft.Extensions.Logging;
using Polly.Timeout;

namespace Altinn.Events.Authorization.Remote;

/// <summary>
/// Asks the platform's PDP (<c>Authorization:Pdp:Endpoint</c>) with one XACML JSON multi-request per batch: one
/// AccessSubject per distinct consumer, one Action per action, one Resource per distinct resource and party, and
/// a RequestReference per request. The PDP answers one result per reference, in order. Any failure denies the
/// whole batch. The HttpClient carries the resilience pipeline and the platform authentication.
/// </summary>
internal sealed class RemoteDecider(IHttpClientFactory httpClientFactory, ILogger<RemoteDecider> logger) : IAuthorizationDecider
{
    public const string HttpClientName = "Altinn.Events.Pdp";

    public async Task<IReadOnlyList<bool>> DecideAsync(IReadOnlyList<DecisionRequest> requests, CancellationToken cancellationToken)
    {
        var decisions = new bool[requests.Count];
        if (requests.Count == 0)
        {
            return decisions;
        }

        // Requests the PDP cannot express are denied here and left out of the call.
        var askable = Enumerable.Range(0, requests.Count)
            .Where(i => XacmlAttributes.Subject(requests[i].Consumer) is not null && XacmlAttributes.ResourceId(requests[i].Resource.ResourceUrn) is not null)
            .ToList();
        if (askable.Count == 0)
        {
            return decisions;
        }

        var body = BuildRequest(askable.Select(i => requests[i]).ToList());
        XacmlJsonResponse? response;
        try
        {
            using var httpClient = httpClientFactory.CreateClient(HttpClientName);
            using var httpResponse = await httpClient.PostAsJsonAsync((Uri?)null, body, XacmlJson.Options, cancellationToken);
            if (!httpResponse.IsSuccessStatusCode)
            {
                Log.RemoteFailed(logger, askable.Count, $"status {(int)httpResponse.StatusCode}");
                throw new AuthorizationUnavailableException($"the PDP answered {(int)httpResponse.StatusCode}");
            }

            response = await httpResponse.Content.ReadFromJsonAsync<XacmlJsonResponse>(XacmlJson.Options, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException or OperationCanceledException or JsonException or NotSupportedException)
        {
            Log.RemoteFailed(logger, askable.Count, ex.GetType().Name);
            throw new AuthorizationUnavailableException(ex.GetType().Name, ex);
        }

        if (response?.Response is not { } results || results.Count != askable.Count)
        {
            Log.RemoteFailed(logger, askable.Count, $"expected {askable.Count} results, got {response?.Response?.Count ?? 0}");
            throw new AuthorizationUnavailableException($"expected {askable.Count} results, got {response?.Response?.Count ?? 0}");
        }

        // Results map back by position; where the PDP echoes the resource id, it must be the one asked about.
        var mapped = new bool[askable.Count];
        for (var k = 0; k < askable.Count; k++)
        {
            var request = requests[askable[k]];
            var result = results[k];
            if (EchoedResourceId(result) is { } echoed && echoed != XacmlAttributes.ResourceId(request.Resource.ResourceUrn))
            {
                Log.RemoteFailed(logger, askable.Count, "results out of order");
                throw new AuthorizationUnavailableException("results out of order");
            }

            mapped[k] = string.Equals(result.Decision, "Permit", StringComparison.OrdinalIgnoreCase)
                && XacmlAttributes.MeetsAuthenticationLevel(
                    request.Consumer,
                    request.AuthenticationLevel,
                    (result.Obligations ?? []).SelectMany(o => o.AttributeAssignment ?? []).Select(a => (a.Category ?? string.Empty, a.Value ?? string.Empty)));
        }

        for (var k = 0; k < askable.Count; k++)
        {
            decisions[askable[k]] = mapped[k];
        }

        return decisions;
    }

    internal static XacmlJsonRequestRoot BuildRequest(IReadOnlyList<DecisionRequest> requests)
    {
        var subjects = new Dictionary<string, XacmlJsonCategory>(StringComparer.Ordinal);
        var actions = new Dictionary<string, XacmlJsonCategory>(StringComparer.Ordinal);
        var resources = new Dictionary<(string, int?), XacmlJsonCategory>();
        var references = new List<XacmlJsonRequestReference>(requests.Count);

        foreach (var request in requests)
        {
            if (!subjects.TryGetValue(request.Consumer, out var subject))
            {
                var (id, value) = XacmlAttributes.Subject(request.Consumer)!.Value;
                subject = new XacmlJsonCategory($"s{subjects.Count + 1}", [new XacmlJsonAttribute(id, value, XacmlAttributes.StringType)]);
                subjects.Add(request.Consumer, subject);
            }

            if (!actions.TryGetValue(request.Action, out var action))
            {
                action = new XacmlJsonCategory($"a{actions.Count + 1}", [new XacmlJsonAttribute(XacmlAttributes.ActionId, request.Action, XacmlAttributes.StringType, IncludeInResult: true)]);
                actions.Add(request.Action, action);
            }

            var resourceKey = (request.Resource.ResourceUrn, request.Resource.PartyId);
            if (!resources.TryGetValue(resourceKey, out var resource))
            {
                resource = new XacmlJsonCategory(
                    $"r{resources.Count + 1}",
                    [.. XacmlAttributes.ResourceAttributes(request.Resource).Select(a => new XacmlJsonAttribute(
                        a.AttributeId, a.Value, XacmlAttributes.StringType, IncludeInResult: a.AttributeId is XacmlAttributes.Resource or XacmlAttributes.PartyId))]);
                resources.Add(resourceKey, resource);
            }

            references.Add(new XacmlJsonRequestReference([subject.Id, action.Id, resource.Id]));
        }

        return new XacmlJsonRequestRoot(new XacmlJsonRequest(
            ReturnPolicyIdList: false,
            AccessSubject: [.. subjects.Values],
            Action: [.. actions.Values],
            Resource: [.. resources.Values],
            MultiRequests: new XacmlJsonMultiRequests(references)));
    }

    private static string? EchoedResourceId(XacmlJsonResult result) =>
        result.Category?
            .Where(c => c.CategoryId == XacmlAttributes.ResourceCategory)
            .SelectMany(c => c.Attribute ?? [])
            .FirstOrDefault(a => a.AttributeId == XacmlAttributes.Resource)?.Value;
}
