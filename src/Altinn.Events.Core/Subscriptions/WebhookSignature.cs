using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Altinn.Events.Core.Subscriptions;

/// <summary>
/// Signs webhook requests the Standard Webhooks way (standardwebhooks.com): headers <c>webhook-id</c>,
/// <c>webhook-timestamp</c> (unix seconds) and <c>webhook-signature</c> = <c>v1,</c> + base64 of
/// HMAC-SHA256 over <c>{id}.{timestamp}.{body}</c>, keyed with the bytes of the secret after its <c>whsec_</c> prefix.
/// A receiver verifies with any Standard Webhooks library and rejects old timestamps to stop replays.
/// </summary>
public static class WebhookSignature
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";
    private const int SecretBytes = 32;

    /// <summary>A new random secret: <c>whsec_</c> + base64 of 32 random bytes.</summary>
    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(SecretBytes));

    /// <summary>Whether <paramref name="secret"/> has the shape <see cref="NewSecret"/> produces.</summary>
    public static bool IsValidSecret(string secret) => TryKey(secret, out _);

    /// <summary>The <c>webhook-signature</c> value for a message.</summary>
    public static string Sign(string secret, string messageId, DateTimeOffset timestamp, string body) =>
        Sign(secret, messageId, timestamp, Encoding.UTF8.GetBytes(body));

    /// <summary>The <c>webhook-signature</c> value for a message whose body is bytes (a binary-mode push).</summary>
    public static string Sign(string secret, string messageId, DateTimeOffset timestamp, ReadOnlySpan<byte> body)
    {
        if (!TryKey(secret, out var key))
        {
            throw new ArgumentException($"A webhook secret is '{SecretPrefix}' followed by base64.", nameof(secret));
        }

        byte[] content = [.. Encoding.UTF8.GetBytes($"{messageId}.{UnixSeconds(timestamp)}."), .. body];
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>The three headers to send with a body of bytes.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(string secret, string messageId, DateTimeOffset timestamp, ReadOnlySpan<byte> body) =>
    [
        new(IdHeader, messageId),
        new(TimestampHeader, UnixSeconds(timestamp)),
        new(SignatureHeader, Sign(secret, messageId, timestamp, body)),
    ];

    /// <summary>The three headers to send with <paramref name="body"/>.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(string secret, string messageId, DateTimeOffset timestamp, string body) =>
    [
        new(IdHeader, messageId),
        new(TimestampHeader, UnixSeconds(timestamp)),
        new(SignatureHeader, Sign(secret, messageId, timestamp, body)),
    ];

    /// <summary>
    /// Checks a received <c>webhook-signature</c> header (space-separated <c>v1,...</c> entries, any may match) in
    /// constant time. The caller checks the timestamp's age.
    /// </summary>
    public static bool Verify(string secret, string messageId, string timestamp, string body, string signatureHeader)
    {
        if (!TryKey(secret, out var key))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}"));
        foreach (var entry in signatureHeader.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.StartsWith("v1,", StringComparison.Ordinal)
                && TryBase64(entry[3..], out var given)
                && CryptographicOperations.FixedTimeEquals(given, expected))
            {
                return true;
            }
        }

        return false;
    }

    private static string UnixSeconds(DateTimeOffset timestamp) => timestamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private static bool TryKey(string secret, out byte[] key)
    {
        key = [];
        return secret.StartsWith(SecretPrefix, StringComparison.Ordinal) && TryBase64(secret[SecretPrefix.Length..], out key) && key.Length > 0;
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[(text.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64String(text, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
