using Altinn.Events.Authorization.Embedded;
using Altinn.Events.Core.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Altinn.Events.IntegrationTests.Authorization;

/// <summary>
/// The embedded PDP's policy cache: bounded, a miss remembered for a while only, a transient read error not at all.
/// Policies live in a folder of the test's own, copied from the shipped one under new resource names.
/// </summary>
public sealed class PolicyStoreTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("policies-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private IHost? _host;

    private IAuthorizationDecider Decider => Host.Services.GetRequiredService<IAuthorizationDecider>();

    private PolicyStore Store => Host.Services.GetRequiredService<PolicyStore>();

    private IHost Host => _host ??= AuthorizationHost.Build(
        new Dictionary<string, string?>
        {
            ["Authorization:DecisionCacheSeconds"] = "0",
            ["Authorization:PolicyFolder"] = _folder,
            ["Authorization:PolicyMissSeconds"] = "30",
            ["Authorization:PolicyCacheEntries"] = "16",
        },
        database.DataSource,
        services => services.Replace(ServiceDescriptor.Singleton<TimeProvider>(_time)));

    [Fact]
    public async Task AMissingPolicy_IsDenied_UntilItsMissExpires_ThenTheNewPolicyCounts()
    {
        var name = Unique("later");
        Assert.False(await MayPublishAsync(name));

        WritePolicy(name);
        Assert.False(await MayPublishAsync(name)); // the miss is remembered: the folder is not read again at once

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(await MayPublishAsync(name));
    }

    [Fact]
    public async Task ATransientReadError_DeniesThatRequestOnly_AndIsNotRemembered()
    {
        var name = Unique("flaky");

        // A directory where the file should be: opening it fails with an access error, as an unreadable share would.
        Directory.CreateDirectory(Path.Combine(_folder, name + ".xml"));
        Assert.False(await MayPublishAsync(name));

        Directory.Delete(Path.Combine(_folder, name + ".xml"));
        WritePolicy(name);
        Assert.True(await MayPublishAsync(name)); // no waiting for an expiry: nothing was kept
    }

    [Fact]
    public async Task ManyMadeUpResourceNames_KeepTheCacheWithinItsBound_AndRealPoliciesStillDecide()
    {
        var real = Unique("real");
        WritePolicy(real);
        Assert.True(await MayPublishAsync(real));

        for (var i = 0; i < 500; i++)
        {
            Assert.False(await MayPublishAsync(Unique("made-up")));
            Assert.True(Store.Count <= 16, $"{Store.Count} entries after {i + 1} names");
        }

        Assert.True(await MayPublishAsync(real));
    }

    public void Dispose()
    {
        _host?.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    // The shipped policy lets /org/ttd publish to ttd-events-test; the copy names the new resource instead.
    private void WritePolicy(string name)
    {
        var shipped = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Policies", "ttd-events-test.xml"));
        File.WriteAllText(Path.Combine(_folder, name + ".xml"), shipped.Replace("ttd-events-test", name, StringComparison.Ordinal));
    }

    private async Task<bool> MayPublishAsync(string resourceId)
    {
        var decisions = await Decider.DecideAsync(
            [new DecisionRequest("/org/ttd", Actions.Publish, new DecisionResource("urn:altinn:resource:" + resourceId, null))],
            CancellationToken.None);
        return decisions[0];
    }
}
