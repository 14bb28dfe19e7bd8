using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Altinn.Events.Client.Webhooks;

/// <summary>The outcome of verifying a push.</summary>
public enum WebhookVerificationResult
{
    /// <summary>Signed with one of the secrets, within the timestamp tolerance.</summary>
    Valid,

    /// <summary><c>webhook-id</c>, <c>webhook-timestamp</c> or <c>webhook-signature</c> is missing.</summary>
    MissingHeaders,

    /// <summary><c>webhook-timestamp</c> is not a whole number of unix seconds.</summary>
    InvalidTimestamp,

    /// <summary>The timestamp is older than the tolerance (a replay, or a clock far behind).</summary>
    TimestampTooOld,

    /// <summary>The timestamp is further in the future than the tolerance.</summary>
    TimestampTooNew,

    /// <summary>No <c>v1</c> signature matches any secret (tampered body or headers, or another secret).</summary>
    InvalidSignature,
}

/// <summary>
/// Standard Webhooks signatures as the service makes them: <c>webhook-signature</c> is a space-separated list of
/// <c>v1,{base64 HMAC-SHA256}</c> over <c>{webhook-id}.{webhook-timestamp}.{body}</c>, keyed with the base64-decoded part
/// of the secret after <c>whsec_</c>. Comparisons are in constant time.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The message id header; the same for every retry of one delivery.</summary>
    public const string IdHeader = "webhook-id";

    /// <summary>The unix-seconds timestamp header.</summary>
    public const string TimestampHeader = "webhook-timestamp";

    /// <summary>The signature header.</summary>
    public const string SignatureHeader = "webhook-signature";

    /// <summary>The prefix of secrets.</summary>
    public const string SecretPrefix = "whsec_";

    /// <summary>The default tolerance for timestamps, both ways (five minutes, as Standard Webhooks suggests).</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The <c>webhook-signature</c> value (<c>v1,...</c>) of a message: for tests of a receiver, and for relaying.</summary>
    public static string Sign(string secret, string messageId, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(messageId);
        return "v1," + Convert.ToBase64String(Hash(Key(secret), messageId, timestamp.ToString(CultureInfo.InvariantCulture), body));
    }

    /// <summary>Verifies a push against any of <paramref name="secrets"/> (several during a rotation).</summary>
    /// <param name="secrets">The subscription secrets (<c>whsec_...</c>) to accept.</param>
    /// <param name="messageId">The <c>webhook-id</c> header.</param>
    /// <param name="timestamp">The <c>webhook-timestamp</c> header.</param>
    /// <param name="signature">The <c>webhook-signature</c> header.</param>
    /// <param name="body">The raw body, exactly as received.</param>
    /// <param name="now">The current time.</param>
    /// <param name="tolerance">How far the timestamp may be from <paramref name="now"/> either way (default five minutes).</param>
    public static WebhookVerificationResult Verify(
        IEnumerable<string> secrets,
        string? messageId,
        string? timestamp,
        string? signature,
        ReadOnlySpan<byte> body,
        DateTimeOffset now,
        TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (string.IsNullOrEmpty(messageId) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return WebhookVerificationResult.MissingHeaders;
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > 253402300799)
        {
            return WebhookVerificationResult.InvalidTimestamp;
        }

        var window = tolerance ?? DefaultTolerance;
        var sent = DateTimeOffset.FromUnixTimeSeconds(seconds);
        if (sent < now - window)
        {
            return WebhookVerificationResult.TimestampTooOld;
        }

        if (sent > now + window)
        {
            return WebhookVerificationResult.TimestampTooNew;
        }

        var candidates = new List<byte[]>();
        foreach (var entry in signature.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.StartsWith("v1,", StringComparison.Ordinal) && TryBase64(entry.AsSpan(3), out var bytes))
            {
                candidates.Add(bytes);
            }
        }

        var matched = false;
        foreach (var secret in secrets)
        {
            var expected = Hash(Key(secret), messageId, timestamp, body);
            foreach (var candidate in candidates)
            {
                // Every candidate is compared (no early exit) so the time taken does not tell which one matched.
                matched |= CryptographicOperations.FixedTimeEquals(expected, candidate);
            }
        }

        return matched ? WebhookVerificationResult.Valid : WebhookVerificationResult.InvalidSignature;
    }

    private static byte[] Key(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var encoded = secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret;
        return Convert.FromBase64String(encoded);
    }

    private static byte[] Hash(byte[] key, string messageId, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return HMACSHA256.HashData(key, content);
    }

    private static bool TryBase64(ReadOnlySpan<char> text, out byte[] bytes)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (Convert.TryFromBase64Chars(text, buffer, out var written))
        {
            bytes = buffer[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
