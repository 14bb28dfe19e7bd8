namespace Altinn.Events.Core.Subscriptions;

/// <summary>How a subscription's endpoint is validated.</summary>
public static class ValidationMethods
{
    /// <summary>The validation event, answered with a 2xx (the default).</summary>
    public const string Event = "event";

    /// <summary>The CloudEvents HTTP webhook handshake: OPTIONS with WebHook-Request-Origin, answered with WebHook-Allowed-Origin.</summary>
    public const string Options = "options";

    /// <summary>The methods offered.</summary>
    public static bool IsKnown(string method) => method is Event or Options;
}
