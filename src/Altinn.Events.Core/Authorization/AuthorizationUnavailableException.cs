namespace Altinn.Events.Core.Authorization;

/// <summary>
/// The decision point could not answer (timeout, error, malformed answer). Nothing is permitted: API callers get a 503
/// and the inbound stage retries the message, so an outage neither leaks events nor silently drops or skips them.
/// </summary>
public sealed class AuthorizationUnavailableException : Exception
{
    public AuthorizationUnavailableException(string reason)
        : base($"The authorization service could not decide: {reason}")
    {
    }

    public AuthorizationUnavailableException(string reason, Exception innerException)
        : base($"The authorization service could not decide: {reason}", innerException)
    {
    }

    public AuthorizationUnavailableException()
    {
    }
}
