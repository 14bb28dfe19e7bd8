using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Altinn.Events.Core.Events;

/// <summary>
/// What makes two published events the same event. The CloudEvents spec makes (<c>id</c>, <c>source</c>) unique per
/// producer; here a re-publish is recognised only when the same publisher (the consumer its token names) sends the same
/// (<c>id</c>, <c>source</c>) for the same resource, so no publisher can suppress another's events by publishing their
/// predictable keys first. A re-publish with the same content is accepted and stores nothing; with different content it
/// is refused (409), because the key already names other content.
/// </summary>
public static class EventIdentity
{
    /// <summary>The de-duplication key: a 128-bit hash of the four parts, each length-prefixed so no two tuples share an encoding.</summary>
    public static Guid Key(string publisher, string resource, string source, string id)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(id);
        var text = string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"events-key-v2\n{publisher.Length}:{publisher}{resource.Length}:{resource}{source.Length}:{source}{id.Length}:{id}");
        return Truncate(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>
    /// A 128-bit hash of the event as its publisher sent it, in a canonical form: object members sorted by name (ordinal),
    /// no insignificant whitespace, strings re-escaped one way, numbers as written. Member order, formatting and escaping
    /// do not change it; any value does. Attributes the service fills in when absent (such as <c>time</c>) are not part of
    /// what was sent, so a re-publish that leaves them out again has the same content.
    /// </summary>
    public static Guid ContentHash(JsonElement cloudEvent)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        try
        {
            using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true });
            WriteCanonical(writer, cloudEvent);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Text that cannot be re-encoded (an unpaired surrogate): the content is what was written, byte for byte.
            return Truncate(SHA256.HashData(Encoding.UTF8.GetBytes(cloudEvent.GetRawText())));
        }

        return Truncate(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(element.GetString());
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(element.GetRawText(), skipInputValidation: true);
                break;
            case JsonValueKind.True:
                writer.WriteBooleanValue(true);
                break;
            case JsonValueKind.False:
                writer.WriteBooleanValue(false);
                break;
            default:
                writer.WriteNullValue();
                break;
        }
    }

    private static Guid Truncate(byte[] hash) => new(hash.AsSpan(0, 16));
}
