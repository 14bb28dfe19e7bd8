using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.Api.Identity;

/// <summary>
/// Serves signing keys from a JWKS file to the JWT handler, in place of an OIDC metadata download; the rest of the
/// validation (signature, issuer, audience, lifetime) is the same as for a remote issuer. The file is re-read when it
/// changes, so a key minted after the API started is trusted without a restart: while no file was found, at every
/// request; once keys are loaded, the file's write time is looked at most once per <see cref="RecheckInterval"/> (the
/// JWT handler asks for the configuration at every request, and two file-system calls per request were measurable in
/// the publish benchmark, issue 20), and at once after the handler found no key for a token
/// (<see cref="RequestRefresh"/>).
/// </summary>
internal sealed class JwksFileConfigurationManager(string path, string issuer, TimeProvider time) : IConfigurationManager<OpenIdConnectConfiguration>
{
    /// <summary>How long loaded keys are served before the file's write time is looked at again.</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(1);

    private volatile Loaded? _loaded;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var loaded = _loaded;
        var now = time.GetTimestamp();
        if (loaded is { Found: true } && time.GetElapsedTime(loaded.CheckedAt, now) < RecheckInterval)
        {
            return loaded.Configuration;
        }

        // A missing file gives 1601-01-01 (no exception): one file-system call.
        var writeTime = File.GetLastWriteTimeUtc(path);
        var found = writeTime != DateTime.FromFileTimeUtc(0);
        if (loaded is not null && loaded.WriteTime == writeTime)
        {
            _loaded = loaded with { CheckedAt = now };
            return loaded.Configuration;
        }

        var configuration = new OpenIdConnectConfiguration { Issuer = issuer };
        if (found)
        {
            foreach (var key in new JsonWebKeySet(await File.ReadAllTextAsync(path, cancel)).GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }
        }

        _loaded = new Loaded(writeTime, found, now, configuration);
        return configuration;
    }

    public void RequestRefresh() => _loaded = null;

    private sealed record Loaded(DateTime WriteTime, bool Found, long CheckedAt, OpenIdConnectConfiguration Configuration);
}
