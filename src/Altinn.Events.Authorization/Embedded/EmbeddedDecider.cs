using Altinn.Authorization.ABAC;
using Altinn.Authorization.ABAC.Xacml;
using Altinn.Events.Core.Authorization;
using Microsoft.Extensions.Logging;

namespace Altinn.Events.Authorization.Embedded;

/// <summary>
/// A local XACML 3.0 PDP on Altinn.Authorization.ABAC: the resource's policy from <see cref="PolicyStore"/>, the
/// subject's role codes for the resource's party from <see cref="IRoleStore"/> (one query per batch), then each
/// request on its own (the engine has no multi-request support). Anything but a Permit whose obligations are
/// met is a deny; so are exceptions.
/// </summary>
internal sealed class EmbeddedDecider(PolicyStore policies, IRoleStore roles, PolicyDecisionPoint pdp, ILogger<EmbeddedDecider> logger) : IAuthorizationDecider
{
    public async Task<IReadOnlyList<bool>> DecideAsync(IReadOnlyList<DecisionRequest> requests, CancellationToken cancellationToken)
    {
        var rolePairs = requests
            .Where(r => r.Resource.PartyId is not null && XacmlAttributes.Subject(r.Consumer) is not null)
            .Select(r => (r.Consumer, r.Resource.PartyId!.Value))
            .ToList();
        var roleCodes = await roles.GetRolesAsync(rolePairs, cancellationToken);

        var decisions = new bool[requests.Count];
        for (var i = 0; i < requests.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            decisions[i] = Decide(requests[i], roleCodes);
        }

        return decisions;
    }

    private bool Decide(DecisionRequest request, IReadOnlyDictionary<(string, int), IReadOnlyList<string>> roleCodes)
    {
        if (XacmlAttributes.ResourceId(request.Resource.ResourceUrn) is not { } resourceId)
        {
            Log.UnsupportedResource(logger);
            return false;
        }

        if (XacmlAttributes.Subject(request.Consumer) is not { } subject)
        {
            Log.UnsupportedConsumer(logger, ConsumerKind(request.Consumer));
            return false;
        }

        if (policies.Get(resourceId) is not { } policy)
        {
            return false;
        }

        try
        {
            var subjectAttributes = new List<XacmlAttribute> { StringAttribute(subject.AttributeId, subject.Value) };
            if (request.Resource.PartyId is { } partyId && roleCodes.TryGetValue((request.Consumer, partyId), out var codes) && codes.Count > 0)
            {
                // All codes in one attribute: a Match succeeds when any value in the bag matches.
                subjectAttributes.Add(StringAttribute(XacmlAttributes.RoleCode, [.. codes]));
            }

            var context = new XacmlContextRequest(false, false,
            [
                new XacmlContextAttributes(new Uri(XacmlAttributes.SubjectCategory), subjectAttributes),
                new XacmlContextAttributes(
                    new Uri(XacmlAttributes.ResourceCategory),
                    XacmlAttributes.ResourceAttributes(request.Resource).Select(a => StringAttribute(a.AttributeId, a.Value))),
                new XacmlContextAttributes(new Uri(XacmlAttributes.ActionCategory), [StringAttribute(XacmlAttributes.ActionId, request.Action)]),
            ]);

            var result = pdp.Authorize(context, policy).Results.FirstOrDefault();
            if (result is null || result.Decision != XacmlContextDecision.Permit)
            {
                return false;
            }

            var assignments = result.Obligations
                .SelectMany(o => o.AttributeAssignment)
                .Select(a => (a.Category?.OriginalString ?? string.Empty, a.Value ?? string.Empty));
            return XacmlAttributes.MeetsAuthenticationLevel(request.Consumer, request.AuthenticationLevel, assignments);
        }
        catch (Exception ex)
        {
            // The engine throws on unsupported functions and malformed attributes: that is a deny, not a failure of the batch.
            Log.EvaluationFailed(logger, resourceId, ex.GetType().Name);
            return false;
        }
    }

    private static XacmlAttribute StringAttribute(string attributeId, params string[] values)
    {
        var attribute = new XacmlAttribute(new Uri(attributeId), false);
        foreach (var value in values)
        {
            attribute.AttributeValues.Add(new XacmlAttributeValue(new Uri(XacmlAttributes.StringType), value));
        }

        return attribute;
    }

    // "/user/1337" -> "user": the kind only, never the identifier.
    internal static string ConsumerKind(string consumer)
    {
        var parts = consumer.Split('/', 3);
        return parts.Length >= 2 && parts[1].Length is > 0 and <= 20 && parts[1].All(char.IsAsciiLetter) ? parts[1] : "unknown";
    }
}
