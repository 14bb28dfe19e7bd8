using Altinn.Events.Authorization.Caching;
using Altinn.Events.Core.Authorization;
using Microsoft.Extensions.Caching.Memory;

namespace Altinn.Events.IntegrationTests.Authorization;

public sealed class CachingDeciderTests : IDisposable
{
    private static readonly DecisionRequest Original = new("/user/1337", Actions.Read, new DecisionResource("urn:altinn:resource:app_ttd_apps-test", 50001), 2);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 1000 });
    private readonly RecordingDecider _inner = new();

    private CachingDecider NewDecider() => new(_inner, _cache, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task SecondIdenticalRequest_IsAnsweredFromTheCache()
    {
        var decider = NewDecider();

        var first = await decider.DecideAsync([Original], CancellationToken.None);
        var second = await decider.DecideAsync([Original with { }], CancellationToken.None);

        Assert.Equal([true], first);
        Assert.Equal([true], second);
        Assert.Single(_inner.Calls);
    }

    public static TheoryData<DecisionRequest> Variants => new()
    {
        Original with { Consumer = "/user/1338" },
        Original with { Action = Actions.Subscribe },
        Original with { Resource = Original.Resource with { ResourceUrn = "urn:altinn:resource:app_ttd_other" } },
        Original with { Resource = Original.Resource with { PartyId = 50002 } },
        Original with { Resource = Original.Resource with { PartyId = null } },
        Original with { AuthenticationLevel = 1 },
        Original with { AuthenticationLevel = null },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task RequestDifferingInAnyKeyField_GoesToTheInnerDecider(DecisionRequest variant)
    {
        var decider = NewDecider();
        await decider.DecideAsync([Original], CancellationToken.None);

        await decider.DecideAsync([variant], CancellationToken.None);

        Assert.Equal(2, _inner.Calls.Count);
        Assert.Equal(variant, Assert.Single(_inner.Calls[1]));
    }

    [Fact]
    public async Task MixedBatch_SendsOnlyTheMisses_AndAnswersInOrder()
    {
        var decider = NewDecider();
        await decider.DecideAsync([Original], CancellationToken.None);
        var other = Original with { Consumer = "/user/4242" };
        _inner.Deny.Add(other);

        var decisions = await decider.DecideAsync([other, Original, other], CancellationToken.None);

        Assert.Equal([false, true, false], decisions);
        Assert.Equal([other, other], _inner.Calls[1]);
    }

    [Fact]
    public async Task CachedDenies_AreKeptToo()
    {
        var decider = NewDecider();
        _inner.Deny.Add(Original);

        Assert.Equal([false], await decider.DecideAsync([Original], CancellationToken.None));
        Assert.Equal([false], await decider.DecideAsync([Original], CancellationToken.None));
        Assert.Single(_inner.Calls);
    }

    public void Dispose() => _cache.Dispose();

    private sealed class RecordingDecider : IAuthorizationDecider
    {
        public List<IReadOnlyList<DecisionRequest>> Calls { get; } = [];

        public HashSet<DecisionRequest> Deny { get; } = [];

        public Task<IReadOnlyList<bool>> DecideAsync(IReadOnlyList<DecisionRequest> requests, CancellationToken cancellationToken)
        {
            Calls.Add([.. requests]);
            return Task.FromResult<IReadOnlyList<bool>>([.. requests.Select(r => !Deny.Contains(r))]);
        }
    }
}
