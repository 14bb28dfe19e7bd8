using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Core;

namespace Altinn.Events.Client;

/// <summary>
/// The CloudEvents HTTP protocol binding (1.0) in the three content modes: structured (one event as
/// <c>application/cloudevents+json</c>), batch (<c>application/cloudevents-batch+json</c>) and binary (each attribute
/// in a <c>ce-{name}</c> header, percent-encoded; <c>datacontenttype</c> as <c>Content-Type</c>; the data as the body).
/// The one home of these rules for the publishing client and the webhook receiver.
/// </summary>
public static class CloudEventsHttpBinding
{
    /// <summary>The prefix of binary-mode attribute headers.</summary>
    public const string HeaderPrefix = "ce-";

    /// <summary>The event as a structured-mode body.</summary>
    public static HttpContent Structured(CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        var body = AltinnCloudEvents.Formatter.EncodeStructuredModeMessage(cloudEvent, out _);
        return Content(body, AltinnCloudEvents.StructuredContentType);
    }

    /// <summary>The events as a batch-mode body (a JSON array).</summary>
    public static HttpContent Batch(IReadOnlyList<CloudEvent> cloudEvents)
    {
        ArgumentNullException.ThrowIfNull(cloudEvents);
        var body = AltinnCloudEvents.Formatter.EncodeBatchModeMessage(cloudEvents, out _);
        return Content(body, AltinnCloudEvents.BatchContentType);
    }

    /// <summary>
    /// The event in binary mode: <c>ce-specversion</c>, <c>ce-id</c>, <c>ce-source</c>, <c>ce-type</c> and every other
    /// attribute set (extensions such as <c>ce-resource</c> too) as headers with percent-encoded values;
    /// <c>datacontenttype</c> becomes the <c>Content-Type</c> header and the data, encoded by the JSON formatter's
    /// binary-mode rules (JSON for JSON media types, text for text, bytes as they are), the body.
    /// </summary>
    public static HttpContent Binary(CloudEvent cloudEvent)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        cloudEvent.Validate();
        var body = cloudEvent.Data is null ? ReadOnlyMemory<byte>.Empty : AltinnCloudEvents.Formatter.EncodeBinaryModeEventData(cloudEvent);
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.TryAddWithoutValidation(HeaderPrefix + "specversion", cloudEvent.SpecVersion.VersionId);
        foreach (var (attribute, value) in cloudEvent.GetPopulatedAttributes())
        {
            if (attribute == cloudEvent.SpecVersion.DataContentTypeAttribute)
            {
                continue;
            }

            content.Headers.TryAddWithoutValidation(HeaderPrefix + attribute.Name, EncodeHeaderValue(attribute.Format(value)));
        }

        if (cloudEvent.DataContentType is { } dataContentType)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(dataContentType);
        }

        return content;
    }

    /// <summary>
    /// Percent-encodes a header value as the binding says: the UTF-8 bytes of space, <c>"</c>, <c>%</c> and every
    /// character outside printable ASCII (U+0021 to U+007E) as <c>%XX</c>; everything else as it is.
    /// </summary>
    public static string EncodeHeaderValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var builder = new StringBuilder(value.Length);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c > ' ' && c < 0x7f && c != '"' && c != '%')
            {
                builder.Append(c);
                continue;
            }

            var length = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                ? Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), bytes)
                : Encoding.UTF8.GetBytes(value.AsSpan(i, 1), bytes);
            foreach (var b in bytes[..length])
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Decodes a percent-encoded header value (the inverse of <see cref="EncodeHeaderValue"/>); the bytes must be UTF-8.</summary>
    /// <exception cref="FormatException">A <c>%</c> not followed by two hex digits, or bytes that are not UTF-8.</exception>
    public static string DecodeHeaderValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(value.Substring(i, 1)));
                continue;
            }

            if (i + 2 >= value.Length || !byte.TryParse(value.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                throw new FormatException($"'%' at {i} is not followed by two hex digits.");
            }

            bytes.Add(b);
            i += 2;
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
        }
        catch (DecoderFallbackException ex)
        {
            throw new FormatException("The percent-encoded bytes are not UTF-8.", ex);
        }
    }

    /// <summary>Whether a request with these headers is a binary-mode CloudEvent (it has <c>ce-specversion</c>).</summary>
    public static bool IsBinary(Func<string, string?> header)
    {
        ArgumentNullException.ThrowIfNull(header);
        return header(HeaderPrefix + "specversion") is not null;
    }

    /// <summary>
    /// Reads the events of an HTTP message in any content mode: batch when the content type is
    /// <c>application/cloudevents-batch+json</c>, structured when it is <c>application/cloudevents+json</c>, binary when a
    /// <c>ce-specversion</c> header is present.
    /// </summary>
    /// <param name="contentType">The <c>Content-Type</c> header, or null.</param>
    /// <param name="headers">Every header of the message (names in any case).</param>
    /// <param name="body">The body.</param>
    /// <exception cref="FormatException">The message is not a CloudEvent (or batch) in any mode, or breaks the format.</exception>
    public static IReadOnlyList<CloudEvent> Parse(string? contentType, IEnumerable<KeyValuePair<string, string>> headers, ReadOnlyMemory<byte> body)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var mediaType = MediaType(contentType);
        try
        {
            if (mediaType == AltinnCloudEvents.BatchContentType)
            {
                return AltinnCloudEvents.Formatter.DecodeBatchModeMessage(body, new System.Net.Mime.ContentType(contentType!), AltinnCloudEvents.Extensions);
            }

            if (mediaType == AltinnCloudEvents.StructuredContentType)
            {
                return [AltinnCloudEvents.Formatter.DecodeStructuredModeMessage(body, new System.Net.Mime.ContentType(contentType!), AltinnCloudEvents.Extensions)];
            }

            var attributes = headers
                .Where(h => h.Key.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
                .ToDictionary(h => h.Key[HeaderPrefix.Length..].ToLowerInvariant(), h => h.Value, StringComparer.Ordinal);
            if (attributes.TryGetValue("specversion", out var version))
            {
                return [Binary(version, attributes, contentType, body)];
            }
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.Text.Json.JsonException)
        {
            throw new FormatException($"Not a valid CloudEvent message: {ex.Message}", ex);
        }

        throw new FormatException($"Not a CloudEvent: the content type is {contentType ?? "missing"} and there is no ce-specversion header.");
    }

    private static CloudEvent Binary(string version, Dictionary<string, string> attributes, string? contentType, ReadOnlyMemory<byte> body)
    {
        var specVersion = CloudEventsSpecVersion.FromVersionId(DecodeHeaderValue(version))
            ?? throw new FormatException($"Unknown CloudEvents spec version '{version}'.");
        var cloudEvent = new CloudEvent(specVersion, AltinnCloudEvents.Extensions);
        foreach (var (name, value) in attributes)
        {
            if (name == "specversion")
            {
                continue;
            }

            if (name == "datacontenttype")
            {
                throw new FormatException("Binary mode carries the data content type in Content-Type, not in a ce-datacontenttype header.");
            }

            cloudEvent.SetAttributeFromString(name, DecodeHeaderValue(value));
        }

        if (contentType is not null)
        {
            cloudEvent.DataContentType = contentType;
        }

        if (!body.IsEmpty)
        {
            AltinnCloudEvents.Formatter.DecodeBinaryModeEventData(body, cloudEvent);
        }

        return Validation.CheckCloudEventArgument(cloudEvent, nameof(body));
    }

    private static string? MediaType(string? contentType) =>
        contentType is null ? null : contentType.Split(';', 2)[0].Trim().ToLowerInvariant();

    private static ByteArrayContent Content(ReadOnlyMemory<byte> body, string mediaType)
    {
        var content = new ByteArrayContent(body.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType) { CharSet = "utf-8" };
        return content;
    }
}
