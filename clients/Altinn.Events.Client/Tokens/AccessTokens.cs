namespace Altinn.Events.Client;

/// <summary>
/// Where the client gets the bearer token for each request (called per attempt, so it may refresh). Implement it over
/// Maskinporten for an organisation, over ID-porten / Altinn authentication for a person, or use
/// <see cref="DevIssuerTokenProvider"/> against a local development service.
/// </summary>
public interface IAccessTokenProvider
{
    /// <summary>A valid access token (without the <c>Bearer </c> prefix).</summary>
    ValueTask<string> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>A bearer token source as a delegate.</summary>
/// <param name="cancellationToken">Cancels the request.</param>
public delegate ValueTask<string> AccessTokenCallback(CancellationToken cancellationToken);

/// <summary>Ready-made token providers.</summary>
public static class AccessTokens
{
    /// <summary>A provider over a delegate.</summary>
    public static IAccessTokenProvider FromDelegate(AccessTokenCallback callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return new DelegateProvider(callback);
    }

    /// <summary>A provider that always answers the same token (tests and scripts).</summary>
    public static IAccessTokenProvider Static(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return new DelegateProvider(_ => ValueTask.FromResult(token));
    }

    private sealed class DelegateProvider(AccessTokenCallback callback) : IAccessTokenProvider
    {
        public ValueTask<string> GetTokenAsync(CancellationToken cancellationToken) => callback(cancellationToken);
    }
}
