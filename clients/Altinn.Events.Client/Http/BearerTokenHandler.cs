using System.Net.Http.Headers;

namespace Altinn.Events.Client.Http;

/// <summary>Puts the provider's token on every attempt (it sits inside the retry handler, so a retry may get a fresh token).</summary>
internal sealed class BearerTokenHandler(IAccessTokenProvider provider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var token = await provider.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
