using System.Globalization;

namespace Altinn.Events.Core.Subscriptions;

/// <summary>
/// The abuse protection handshake of the CloudEvents HTTP 1.1 Web Hooks specification (validationMethod
/// <see cref="ValidationMethods.Options"/>): the sender asks with <c>OPTIONS</c> and <see cref="RequestOriginHeader"/>
/// naming itself; the endpoint consents with a 2xx and <see cref="AllowedOriginHeader"/> equal to that name or <c>*</c>,
/// and may limit the push rate with <see cref="AllowedRateHeader"/> (requests per minute, or <c>*</c> for no limit).
/// </summary>
public static class WebhookHandshake
{
    public const string RequestOriginHeader = "WebHook-Request-Origin";
    public const string AllowedOriginHeader = "WebHook-Allowed-Origin";
    public const string AllowedRateHeader = "WebHook-Allowed-Rate";

    /// <summary>
    /// Whether the answer consents to pushes from <paramref name="origin"/>: null when it does (with the granted rate in
    /// <paramref name="rate"/>, null for no limit), otherwise why not.
    /// </summary>
    /// <param name="origin">The name the request gave.</param>
    /// <param name="allowedOrigin">The answer's WebHook-Allowed-Origin (null: absent).</param>
    /// <param name="allowedRate">The answer's WebHook-Allowed-Rate (null: absent, no limit).</param>
    /// <param name="rate">The granted requests per minute; null for no limit.</param>
    public static string? Refusal(string origin, string? allowedOrigin, string? allowedRate, out int? rate)
    {
        rate = null;
        var allowed = allowedOrigin?.Trim();
        if (string.IsNullOrEmpty(allowed))
        {
            return $"no {AllowedOriginHeader} in the answer to OPTIONS";
        }

        if (allowed != "*" && !string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
        {
            return $"{AllowedOriginHeader} does not name {origin}";
        }

        var given = allowedRate?.Trim();
        if (string.IsNullOrEmpty(given) || given == "*")
        {
            return null;
        }

        if (!int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out var perMinute) || perMinute < 1)
        {
            return $"{AllowedRateHeader} must be a positive integer or *";
        }

        rate = perMinute;
        return null;
    }
}
