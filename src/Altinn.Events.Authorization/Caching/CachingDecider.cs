using Altinn.Events.Core.Authorization;
using Microsoft.Extensions.Caching.Memory;

namespace Altinn.Events.Authorization.Caching;

/// <summary>
/// Reuses decisions for a few seconds (<c>Authorization:DecisionCacheSeconds</c>). The key holds everything a
/// decision depends on: consumer, action, resource, party and authentication level. Only the misses of a batch
/// go to the inner decider, in one call. The cache is its own, bounded by entry count.
/// </summary>
internal sealed class CachingDecider(IAuthorizationDecider inner, IMemoryCache cache, TimeSpan lifetime) : IAuthorizationDecider
{
    public async Task<IReadOnlyList<bool>> DecideAsync(IReadOnlyList<DecisionRequest> requests, CancellationToken cancellationToken)
    {
        var decisions = new bool[requests.Count];
        var misses = new List<int>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (cache.TryGetValue(Key(requests[i]), out bool decision))
            {
                decisions[i] = decision;
            }
            else
            {
                misses.Add(i);
            }
        }

        if (misses.Count == 0)
        {
            return decisions;
        }

        var answers = await inner.DecideAsync([.. misses.Select(i => requests[i])], cancellationToken);
        if (answers.Count != misses.Count)
        {
            // A decider that breaks the contract permits nothing, and nothing of it is kept.
            return new bool[requests.Count];
        }

        for (var k = 0; k < misses.Count; k++)
        {
            decisions[misses[k]] = answers[k];
            cache.Set(Key(requests[misses[k]]), answers[k], new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = lifetime, Size = 1 });
        }

        return decisions;
    }

    internal static DecisionKey Key(DecisionRequest request) =>
        new(request.Consumer, request.Action, request.Resource.ResourceUrn, request.Resource.PartyId, request.AuthenticationLevel);

    internal sealed record DecisionKey(string Consumer, string Action, string ResourceUrn, int? PartyId, int? AuthenticationLevel);
}
