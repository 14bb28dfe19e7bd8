using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>The embedded PDP against the shipped policies and the roles seeded by migration 0002.</summary>
public sealed class EmbeddedDeciderTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private const string App = "urn:altinn:resource:app_ttd_apps-test";
    private const string Generic = "urn:altinn:resource:ttd-events-test";

    private readonly IHost _host = AuthorizationHost.Build(
        new Dictionary<string, string?> { ["Authorization:DecisionCacheSeconds"] = "0" },
        database.DataSource);

    private IAuthorizationDecider Decider => _host.Services.GetRequiredService<IAuthorizationDecider>();

    public static TheoryData<string, string, int?, string, bool> Matrix => new()
    {
        // App events: DAGL, REGNA and PRIV for the party read.
        { "/user/1337", App, 50001, Actions.Read, true },          // PRIV for own party
        { "/user/1337", App, 50002, Actions.Read, true },          // DAGL for the organisation
        { "/user/1337", App, 50003, Actions.Read, false },         // no role for the subunit
        { "/user/1337", App, 50004, Actions.Read, false },         // someone else
        { "/user/1337", App, null, Actions.Read, false },          // no party, so no roles
        { "/user/1337", App, 50001, Actions.Subscribe, false },    // the app policy only grants read
        { "/user/1338", App, 50010, Actions.Read, true },          // REGNA: a professional with many clients
        { "/user/1338", App, 50015, Actions.Read, true },
        { "/user/1338", App, 50019, Actions.Read, true },
        { "/user/1338", App, 50001, Actions.Read, false },         // not a client
        { "/user/1339", App, 50004, Actions.Read, true },          // PRIV for own party
        { "/user/1339", App, 50001, Actions.Read, false },         // no roles for others
        { "/user/4242", App, 50001, Actions.Read, false },         // no roles at all
        // The app owner reads its app's events for any party, and only its own app.
        { "/org/ttd", App, 50001, Actions.Read, true },
        { "/org/ttd", App, 50019, Actions.Read, true },
        { "/org/ttd", App, null, Actions.Read, true },
        { "/org/skd", App, 50001, Actions.Read, false },
        { "/org/ttd", App, 50001, Actions.Publish, false },
        { "/organisation/991825827", App, 50002, Actions.Read, false }, // an organisation system holds no roles
        // The generic resource: ttd publishes and subscribes; 991825827 subscribes; DAGL/PRIV subscribe for the party.
        { "/org/ttd", Generic, null, Actions.Publish, true },
        { "/org/ttd", Generic, null, Actions.Subscribe, true },
        { "/org/skd", Generic, null, Actions.Publish, false },
        { "/org/skd", Generic, null, Actions.Subscribe, false },
        { "/organisation/991825827", Generic, null, Actions.Subscribe, true },
        { "/organisation/991825827", Generic, null, Actions.Publish, false },
        { "/organisation/991825828", Generic, null, Actions.Subscribe, false }, // the subunit is not named
        { "/user/1337", Generic, 50001, Actions.Subscribe, true },   // PRIV
        { "/user/1337", Generic, 50002, Actions.Subscribe, true },   // DAGL
        { "/user/1337", Generic, 50001, Actions.Publish, false },
        { "/user/1337", Generic, 50004, Actions.Subscribe, false },
        { "/user/1338", Generic, 50010, Actions.Subscribe, false },  // REGNA is not enough here
        { "/user/1339", Generic, 50001, Actions.Subscribe, false },
        { "/systemuser/4c9f3c2e-8d6a-4f3e-9a55-0f7d0c3b2a11", Generic, null, Actions.Subscribe, false },
        // No policy file, or not a policy file name, or a consumer the policies cannot name: deny.
        { "/org/ttd", "urn:altinn:resource:ttd-no-such-resource", null, Actions.Publish, false },
        { "/org/ttd", "urn:altinn:resource:app_ttd_other-app", 50001, Actions.Read, false },
        { "/org/ttd", "urn:altinn:resource:../Policies/ttd-events-test", null, Actions.Publish, false },
        { "/org/ttd", "urn:altinn:something-else:ttd-events-test", null, Actions.Publish, false },
        { "/app/ttd/apps-test", App, 50001, Actions.Read, false },
        { "/user/not-a-number", Generic, 50001, Actions.Subscribe, false },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Decide_FollowsShippedPoliciesAndSeededRoles(string consumer, string resource, int? partyId, string action, bool expected)
    {
        var decisions = await Decider.DecideAsync([new DecisionRequest(consumer, action, new DecisionResource(resource, partyId))], CancellationToken.None);

        Assert.Equal([expected], decisions);
    }

    [Fact]
    public async Task Decide_ManyRequests_AnswersInRequestOrder_WithOneRoleQuery()
    {
        var requests = new List<DecisionRequest>();
        var expected = new List<bool>();
        foreach (var row in Matrix)
        {
            var values = row;
            requests.Add(new DecisionRequest((string)values[0]!, (string)values[3]!, new DecisionResource((string)values[1]!, (int?)values[2])));
            expected.Add((bool)values[4]!);
        }

        using var counter = new CommandCounter(database.DatabaseName);
        var decisions = await Decider.DecideAsync(requests, CancellationToken.None);

        Assert.Equal(expected, decisions);
        Assert.Single(counter.Commands, c => c.Contains("party_roles", StringComparison.Ordinal));
        Assert.Single(counter.Commands);
    }

    [Theory]
    [InlineData("/user/1337", 1, false)]  // the app policy requires level 2
    [InlineData("/user/1337", 2, true)]
    [InlineData("/user/1337", 4, true)]
    [InlineData("/user/1337", null, true)] // a stored subscription: level unknown, not checked
    public async Task Decide_HonoursMinimumAuthenticationLevelObligation(string consumer, int? level, bool expected)
    {
        var decisions = await Decider.DecideAsync([new DecisionRequest(consumer, Actions.Read, new DecisionResource(App, 50001), level)], CancellationToken.None);

        Assert.Equal([expected], decisions);
    }

    [Fact]
    public async Task Decide_GenericPolicyWithoutObligation_PermitsAtAnyLevel()
    {
        var decisions = await Decider.DecideAsync([new DecisionRequest("/user/1337", Actions.Subscribe, new DecisionResource(Generic, 50001), 1)], CancellationToken.None);

        Assert.Equal([true], decisions);
    }

    [Fact]
    public async Task Decide_BrokenPolicyFile_Denies_AndOtherPoliciesStillWork()
    {
        var folder = Directory.CreateTempSubdirectory("policies-");
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "Policies", "ttd-events-test.xml"), Path.Combine(folder.FullName, "ttd-events-test.xml"));
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "ttd-broken.xml"), "<xacml:Policy xmlns:xacml=\"urn:oasis:names:tc:xacml:3.0:core:schema:wd-17\"><oops");
            using var host = AuthorizationHost.Build(
                new Dictionary<string, string?> { ["Authorization:DecisionCacheSeconds"] = "0", ["Authorization:PolicyFolder"] = folder.FullName },
                database.DataSource);
            var decider = host.Services.GetRequiredService<IAuthorizationDecider>();

            var decisions = await decider.DecideAsync(
            [
                new DecisionRequest("/org/ttd", Actions.Publish, new DecisionResource("urn:altinn:resource:ttd-broken", null)),
                new DecisionRequest("/org/ttd", Actions.Publish, new DecisionResource(Generic, null)),
                new DecisionRequest("/org/ttd", Actions.Read, new DecisionResource(App, 50001)), // not in this folder
            ], CancellationToken.None);

            Assert.Equal([false, true, false], decisions);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    public void Dispose() => _host.Dispose();
}
