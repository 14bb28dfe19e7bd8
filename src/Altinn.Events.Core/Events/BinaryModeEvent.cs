using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Altinn.Events.Core.Events;

/// <summary>
/// The CloudEvents HTTP binding's binary content mode: the attributes are <c>ce-</c> headers (values percent-encoded
/// UTF-8), <c>datacontenttype</c> is the Content-Type, and the body is the data. Publishing turns such a request into the
/// structured-mode JSON object it stands for, so one set of checks (<see cref="CloudEventValidator"/>, the size limit,
/// the JSON text rule) and one stored form serve both modes. The data becomes <c>data</c> as JSON when the content type
/// is JSON, <c>data</c> as a string when it is text in UTF-8, and <c>data_base64</c> otherwise.
/// </summary>
public static class BinaryModeEvent
{
    /// <summary>The header prefix of attributes.</summary>
    public const string HeaderPrefix = "ce-";

    /// <summary>Whether a request is in binary mode: it carries <c>ce-specversion</c>.</summary>
    public static bool IsBinary(IEnumerable<string> headerNames) =>
        headerNames.Any(n => string.Equals(n, HeaderPrefix + "specversion", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The structured-mode JSON (UTF-8) of a binary-mode request, or null with errors keyed by attribute name (<c>data</c>
    /// for the body). <paramref name="headers"/> are the request's headers; those without the prefix are ignored.
    /// </summary>
    public static byte[]? ToStructured(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> headers, string? contentType, ReadOnlyMemory<byte> body, IDictionary<string, List<string>> errors)
    {
        var attributes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in headers)
        {
            if (!name.StartsWith(HeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var attribute = name[HeaderPrefix.Length..].ToLowerInvariant();
            if (attribute is "data" or "data_base64" or "datacontenttype")
            {
                Add(errors, attribute, attribute == "datacontenttype"
                    ? "In binary mode the datacontenttype is the Content-Type header; send no ce-datacontenttype."
                    : "In binary mode the data is the request body; send no ce-data or ce-data_base64 header.");
                continue;
            }

            if (values.Count != 1)
            {
                Add(errors, attribute, $"The header {name} must be given once.");
                continue;
            }

            if (PercentDecode(values[0]) is not { } decoded)
            {
                Add(errors, attribute, $"The header {name} is not percent-encoded UTF-8 (CloudEvents HTTP binding, 3.1.3.2).");
                continue;
            }

            attributes[attribute] = decoded;
        }

        if (!string.IsNullOrEmpty(contentType))
        {
            attributes["datacontenttype"] = contentType;
        }

        var buffer = new ArrayBufferWriter<byte>(body.Length + 512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in attributes)
            {
                writer.WriteString(name, value);
            }

            if (!body.IsEmpty)
            {
                WriteData(writer, contentType, body, errors);
            }

            writer.WriteEndObject();
        }

        return errors.Count > 0 ? null : buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A stored (structured-mode) event in binary mode, for a push: every attribute but the data as a <c>ce-</c> header
    /// (percent-encoded as the HTTP binding says), <c>datacontenttype</c> as the Content-Type, the data as the body
    /// (JSON as written, a string as UTF-8, <c>data_base64</c> decoded).
    /// </summary>
    public static (List<KeyValuePair<string, string>> Headers, byte[] Body, string? ContentType) FromStructured(string cloudEvent)
    {
        using var document = JsonDocument.Parse(cloudEvent);
        var headers = new List<KeyValuePair<string, string>>();
        string? contentType = null;
        var body = Array.Empty<byte>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            switch (property.Name)
            {
                case "data":
                    body = property.Value.ValueKind == JsonValueKind.String && !IsJson(MediaTypeOf(contentTypeOf(document.RootElement)))
                        ? Encoding.UTF8.GetBytes(property.Value.GetString()!)
                        : Encoding.UTF8.GetBytes(property.Value.GetRawText());
                    break;
                case "data_base64":
                    body = property.Value.GetBytesFromBase64();
                    break;
                case "datacontenttype":
                    contentType = property.Value.GetString();
                    break;
                default:
                    var value = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
                    headers.Add(new(HeaderPrefix + property.Name, PercentEncode(value)));
                    break;
            }
        }

        // JSON data without a declared type is JSON (structured mode's default).
        if (contentType is null && document.RootElement.TryGetProperty("data", out var data) && data.ValueKind != JsonValueKind.String)
        {
            contentType = "application/json";
        }

        return (headers, body, contentType);

        static string? contentTypeOf(JsonElement e) => e.TryGetProperty("datacontenttype", out var t) ? t.GetString() : null;
    }

    /// <summary>Percent-encodes a header value: space, <c>"</c>, <c>%</c> and everything outside printable ASCII, as UTF-8.</summary>
    public static string PercentEncode(string value)
    {
        var text = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is > 0x20 and < 0x7f and not (byte)'"' and not (byte)'%')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    /// <summary>Whether a media type is JSON: <c>application/json</c>, <c>text/json</c> or any <c>+json</c> suffix.</summary>
    public static bool IsJson(string? mediaType) =>
        mediaType is not null
        && (mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase));

    /// <summary>The media type of a Content-Type value, without parameters; null when there is none.</summary>
    public static string? MediaTypeOf(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return null;
        }

        var end = contentType.IndexOf(';', StringComparison.Ordinal);
        return (end >= 0 ? contentType[..end] : contentType).Trim().ToLowerInvariant();
    }

    /// <summary>
    /// Percent-decodes a header value as the HTTP binding encodes it (UTF-8 bytes as <c>%XX</c>); null when an escape is
    /// malformed or the bytes are not UTF-8.
    /// </summary>
    public static string? PercentDecode(string value)
    {
        if (!value.Contains('%', StringComparison.Ordinal))
        {
            return value;
        }

        var bytes = new List<byte>(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '%')
            {
                if (i + 2 >= value.Length || !char.IsAsciiHexDigit(value[i + 1]) || !char.IsAsciiHexDigit(value[i + 2]))
                {
                    return null;
                }

                bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (c > 0x7f)
            {
                return null;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static void WriteData(Utf8JsonWriter writer, string? contentType, ReadOnlyMemory<byte> body, IDictionary<string, List<string>> errors)
    {
        var mediaType = MediaTypeOf(contentType);
        if (IsJson(mediaType))
        {
            try
            {
                using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = Input.InputLimits.MaxJsonDepth });
                writer.WritePropertyName("data");
                writer.WriteRawValue(body.Span, skipInputValidation: true);
            }
            catch (JsonException)
            {
                Add(errors, "data", $"The Content-Type is {mediaType}, but the body is not JSON.");
            }

            return;
        }

        if (mediaType is not null && mediaType.StartsWith("text/", StringComparison.Ordinal) && Utf8Text(body.Span) is { } text)
        {
            writer.WriteString("data", text);
            return;
        }

        writer.WriteBase64String("data_base64", body.Span);
    }

    private static string? Utf8Text(ReadOnlySpan<byte> body)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static void Add(IDictionary<string, List<string>> errors, string key, string message)
    {
        if (!errors.TryGetValue(key, out var list))
        {
            errors[key] = list = [];
        }

        list.Add(message);
    }
}
