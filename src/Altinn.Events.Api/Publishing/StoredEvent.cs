using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Altinn.Events.Core.Events;
using Altinn.Events.Persistence.Events;
using CloudNative.CloudEvents;

namespace Altinn.Events.Api.Publishing;

/// <summary>
/// Builds the event to store from one checked structured-mode event (after <see cref="CloudEventValidator"/>). An
/// event of the common plain shape is written straight from the parsed JSON, byte for byte as the CloudEvents SDK
/// would write it after decoding it (the same order, the same escaping, the time in the SDK's format, the defaulted
/// <c>datacontenttype</c>), so the stored JSON is the same either way; every other event goes through the SDK
/// (<see cref="CloudEventReader"/>), which stays the judge of what is not plain. Issue 20: the SDK's decode (a copy of
/// the bytes, a second parse, a clone of the data) and encode were a quarter of the publish endpoint's own CPU.
/// </summary>
internal static class StoredEvent
{
    private const string JsonMediaType = "application/json";

    // The SDK writes with the default encoder (Encoder null): the same escaping here.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>
    /// The plain shape: every attribute besides <c>data</c> a JSON string of printable ASCII without escapes (so the
    /// SDK's string rules hold and its encoder writes it unchanged), no <c>dataschema</c> or <c>data_base64</c>, a
    /// <c>datacontenttype</c> absent or <c>application/json</c>, <c>data</c> absent or not null, and a time the SDK
    /// reads. Anything else returns null and goes through the SDK.
    /// </summary>
    internal static NewEvent? TryPlain(JsonElement element, string publisher, Guid content, DateTimeOffset now)
    {
        string? id = null, source = null, resource = null, type = null, subject = null, alternative = null, contentType = null;
        DateTimeOffset? time = null;
        JsonElement? data = null;
        // Names are compared as their raw bytes (a name with an escape is not plain): no string per member. A name given
        // twice is looked for among the members before it; an event with more members than a plain one has goes through
        // the SDK.
        var count = 0;
        foreach (var property in element.EnumerateObject())
        {
            var value = property.Value;
            var name = JsonMarshal.GetRawUtf8PropertyName(property);
            if (count == MaxPlainMembers || !IsPlainAscii(name))
            {
                return null;
            }

            if (SeenBefore(element, name, count++))
            {
                // A name given twice: the SDK keeps the last value in the first one's place.
                return null;
            }

            if (property.NameEquals("data"u8))
            {
                if (value.ValueKind == JsonValueKind.Null)
                {
                    return null;
                }

                data = value;
                continue;
            }

            if (value.ValueKind != JsonValueKind.String || !IsPlainAscii(JsonMarshal.GetRawUtf8Value(value)))
            {
                return null;
            }

            if (name.SequenceEqual("id"u8))
            {
                id = value.GetString();
            }
            else if (name.SequenceEqual("source"u8))
            {
                source = value.GetString();
            }
            else if (name.SequenceEqual("resource"u8))
            {
                resource = value.GetString();
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = value.GetString();
            }
            else if (name.SequenceEqual("subject"u8))
            {
                subject = value.GetString();
            }
            else if (name.SequenceEqual("alternativesubject"u8))
            {
                alternative = value.GetString();
            }
            else if (name.SequenceEqual("datacontenttype"u8))
            {
                if (!value.ValueEquals(JsonMediaType))
                {
                    return null;
                }

                contentType = JsonMediaType;
            }
            else if (name.SequenceEqual("time"u8))
            {
                if (!TryParseTime(value.GetString()!, out var parsed))
                {
                    return null;
                }

                time = parsed;
            }
            else if (name.SequenceEqual("dataschema"u8) || name.SequenceEqual("data_base64"u8))
            {
                return null;
            }
        }

        if (id is null || source is null || resource is null || type is null)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(JsonMarshal.GetRawUtf8Value(element).Length + 96);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("specversion", "1.0");
            foreach (var property in element.EnumerateObject())
            {
                if (property.NameEquals("specversion"u8) || property.NameEquals("data"u8))
                {
                    continue;
                }

                if (property.NameEquals("time"u8))
                {
                    writer.WriteString("time", CloudEventAttributeType.Timestamp.Format(time!.Value));
                    continue;
                }

                property.WriteTo(writer);
            }

            if (data is not null && contentType is null)
            {
                // The SDK defaults the content type of data to JSON, and writes it.
                writer.WriteString("datacontenttype", JsonMediaType);
            }

            var stamped = time ?? now;
            if (time is null)
            {
                writer.WriteString("time", CloudEventAttributeType.Timestamp.Format(stamped));
            }

            if (data is { } body)
            {
                writer.WritePropertyName("data");
                body.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.Flush();
            time = stamped;
        }

        return new NewEvent(
            id, source, resource, type, subject, alternative, Subjects.PartyId(subject), time.Value.ToUniversalTime(),
            System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), publisher, content);
    }

    // The members a plain event may have: the CloudEvents attributes the service knows and a few extensions.
    private const int MaxPlainMembers = 24;

    // Whether one of the first <before> members of the object has the (raw, plain) name.
    private static bool SeenBefore(JsonElement element, ReadOnlySpan<byte> name, int before)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (before-- == 0)
            {
                return false;
            }

            if (JsonMarshal.GetRawUtf8PropertyName(property).SequenceEqual(name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TryParseTime(string text, out DateTimeOffset time)
    {
        try
        {
            time = (DateTimeOffset)CloudEventAttributeType.Timestamp.Parse(text);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            time = default;
            return false;
        }
    }

    // Printable ASCII without a backslash: no escapes to decode, nothing the SDK's string rules refuse or its encoder
    // writes differently... except the characters the default encoder escapes (<, >, &, ', +, `), which it escapes here too.
    private static bool IsPlainAscii(ReadOnlySpan<byte> raw)
    {
        foreach (var b in raw)
        {
            if (b < 0x20 || b > 0x7E || b == (byte)'\\')
            {
                return false;
            }
        }

        return true;
    }
}
