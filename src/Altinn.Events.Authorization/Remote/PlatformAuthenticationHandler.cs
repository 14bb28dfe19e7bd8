using System.Net.Http.Headers;
using Azure.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Authorization.Remote;

/// <summary>
/// Authenticates calls to platform services (the remote PDP and register): an Entra ID bearer token when
/// <c>Platform:Authentication:Mode</c> is <c>EntraId</c>, else the configured <c>Platform:AccessToken</c> when set,
/// else nothing. Tokens are cached by Azure.Identity and never logged.
/// </summary>
internal sealed class PlatformAuthenticationHandler(IOptions<PlatformOptions> options, PlatformCredential credential, ILogger<PlatformAuthenticationHandler> logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (settings.Authentication.Mode == PlatformAuthenticationMode.EntraId)
        {
            AccessToken token;
            try
            {
                token = await credential.Get().GetTokenAsync(new TokenRequestContext([settings.Authentication.Scope!]), cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Surface as an HTTP failure, so callers deny (PDP) or fail (register) the way they do for any outage.
                Log.TokenFailed(logger, ex.GetType().Name);
                throw new HttpRequestException("No token for the platform call.", ex);
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        }
        else if (!string.IsNullOrEmpty(settings.AccessToken))
        {
            if (string.Equals(settings.AccessTokenHeader, "Authorization", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);
            }
            else
            {
                request.Headers.Remove(settings.AccessTokenHeader);
                request.Headers.TryAddWithoutValidation(settings.AccessTokenHeader, settings.AccessToken);
            }
        }

        return await base.SendAsync(request, cancellationToken);
    }
}

/// <summary>The Entra ID credential, made once: client credentials when a secret is configured, else DefaultAzureCredential.</summary>
internal class PlatformCredential(IOptions<PlatformOptions> options)
{
    private readonly Lazy<TokenCredential> _credential = new(() => Create(options.Value.Authentication));

    public virtual TokenCredential Get() => _credential.Value;

    private static TokenCredential Create(PlatformAuthenticationOptions settings) =>
        !string.IsNullOrWhiteSpace(settings.ClientSecret)
            ? new Azure.Identity.ClientSecretCredential(settings.TenantId, settings.ClientId, settings.ClientSecret)
            : new Azure.Identity.DefaultAzureCredential(new Azure.Identity.DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = string.IsNullOrWhiteSpace(settings.ClientId) ? null : settings.ClientId,
                TenantId = string.IsNullOrWhiteSpace(settings.TenantId) ? null : settings.TenantId,
            });
}
