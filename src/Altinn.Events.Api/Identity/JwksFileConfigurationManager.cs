using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Altinn.Events.Api.Identity;

/// <summary>
/// Serves signing keys from a JWKS file to the JWT handler, in place of an OIDC metadata download; the rest of the
/// validation (signature, issuer, audience, lifetime) is the same as for a remote issuer. The file is re-read when it
/// changes, so a key minted after the API started is trusted without a restart.
/// </summary>
internal sealed class JwksFileConfigurationManager(string path, string issuer) : IConfigurationManager<OpenIdConnectConfiguration>
{
    private volatile Loaded? _loaded;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        var writeTime = File.Exists(path) ? File.GetLastWriteTimeUtc(path) : DateTime.MinValue;
        var loaded = _loaded;
        if (loaded is not null && loaded.WriteTime == writeTime)
        {
            return loaded.Configuration;
        }

        var configuration = new OpenIdConnectConfiguration { Issuer = issuer };
        if (writeTime != DateTime.MinValue)
        {
            foreach (var key in new JsonWebKeySet(await File.ReadAllTextAsync(path, cancel)).GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }
        }

        _loaded = new Loaded(writeTime, configuration);
        return configuration;
    }

    public void RequestRefresh() => _loaded = null;

    private sealed record Loaded(DateTime WriteTime, OpenIdConnectConfiguration Configuration);
}
