using Altinn.Events.Api.Identity;
using Altinn.Events.Cli.DevIssuer;
using Microsoft.Extensions.Time.Testing;

namespace Altinn.Events.IntegrationTests.Identity;

/// <summary>
/// The dev issuer's keys come from a JWKS file that may change while the API runs: a missing file is looked for at every
/// request, loaded keys are served for <see cref="JwksFileConfigurationManager.RecheckInterval"/> before the file is looked
/// at again, and a refresh the JWT handler asks for (a token signed by a key it does not know) looks at once.
/// </summary>
public sealed class JwksFileConfigurationManagerTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "altinn-events-jwks-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task MissingFile_IsLookedForAtEveryRequest_SoAKeyMintedLaterIsTrustedAtOnce()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var path = Path.Combine(_directory, "first", DevTokenIssuer.JwksFileName);
        var manager = new JwksFileConfigurationManager(path, DevTokenIssuer.DefaultIssuer, time);

        Assert.Empty((await manager.GetConfigurationAsync(default)).SigningKeys);

        var issuer = DevTokenIssuer.Open(Path.GetDirectoryName(path)!);
        Assert.Equal([KeyId(issuer)], (await manager.GetConfigurationAsync(default)).SigningKeys.Select(k => k.KeyId));
    }

    [Fact]
    public async Task ChangedFile_IsReadAfterTheRecheckInterval_OrAtOnceOnRefresh()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var first = DevTokenIssuer.Open(Path.Combine(_directory, "first"));
        var second = DevTokenIssuer.Open(Path.Combine(_directory, "second"));
        var path = Path.Combine(_directory, "served.json");
        File.Copy(first.JwksPath, path);
        var manager = new JwksFileConfigurationManager(path, DevTokenIssuer.DefaultIssuer, time);
        Assert.Equal([KeyId(first)], Kids(await manager.GetConfigurationAsync(default)));

        // The key is rotated: within the interval the loaded keys are served, after it the new file is read.
        Rewrite(path, second.JwksPath);
        Assert.Equal([KeyId(first)], Kids(await manager.GetConfigurationAsync(default)));
        time.Advance(JwksFileConfigurationManager.RecheckInterval);
        Assert.Equal([KeyId(second)], Kids(await manager.GetConfigurationAsync(default)));

        // Rotated back: a refresh reads the file without waiting for the interval.
        Rewrite(path, first.JwksPath);
        Assert.Equal([KeyId(second)], Kids(await manager.GetConfigurationAsync(default)));
        manager.RequestRefresh();
        Assert.Equal([KeyId(first)], Kids(await manager.GetConfigurationAsync(default)));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static string KeyId(DevTokenIssuer issuer) =>
        new Microsoft.IdentityModel.Tokens.JsonWebKeySet(File.ReadAllText(issuer.JwksPath)).Keys.Single().Kid;

    private static IEnumerable<string> Kids(Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration configuration) =>
        configuration.SigningKeys.Select(k => k.KeyId);

    // A new write time for the file even on a file system with coarse timestamps.
    private static void Rewrite(string path, string from)
    {
        var before = File.GetLastWriteTimeUtc(path);
        File.Copy(from, path, overwrite: true);
        File.SetLastWriteTimeUtc(path, before.AddSeconds(2));
    }
}
