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
        // One buffer and writer per thread (no await in between): the hash is taken for every published event, and the
        // buffer, the writer and the strings of the first version were a measurable share of the publish path (issue 20).
        var canonical = t_canonical ??= new Canonical();
        canonical.Buffer.ResetWrittenCount();
        canonical.Writer.Reset(canonical.Buffer);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        try
        {
            WriteCanonical(canonical.Writer, cloudEvent);
            canonical.Writer.Flush();
            SHA256.HashData(canonical.Buffer.WrittenSpan, hash);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // Text that cannot be re-encoded (an unpaired surrogate): the content is what was written, byte for byte.
            canonical.Writer.Reset();
            SHA256.HashData(Encoding.UTF8.GetBytes(cloudEvent.GetRawText()), hash);
        }
        finally
        {
            if (canonical.Buffer.Capacity > Canonical.MaxKeptBytes)
            {
                t_canonical = null;
            }
        }

        return new Guid(hash[..16]);
    }

    [ThreadStatic]
    private static Canonical? t_canonical;

    private sealed class Canonical
    {
        public const int MaxKeptBytes = 64 * 1024;

        public ArrayBufferWriter<byte> Buffer { get; } = new(4096);

        public Utf8JsonWriter Writer { get; } = new(System.IO.Stream.Null, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true });
    }

    // The canonical form: members sorted by name (ordinal over UTF-16, stable for a name given twice), strings unescaped
    // and written again by the writer's one escaping, numbers as written. Text without escapes is written from its UTF-8
    // bytes (the same characters, so the same output as from the decoded string); a member name that is plain ASCII is
    // compared by its bytes (for ASCII, byte order is UTF-16 order).
    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                WriteMembers(writer, element);
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
                var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
                var text = raw[1..^1];
                if (text.IndexOf((byte)'\\') < 0)
                {
                    writer.WriteStringValue(text);
                }
                else
                {
                    writer.WriteStringValue(element.GetString());
                }

                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element), skipInputValidation: true);
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

    private static void WriteMembers(Utf8JsonWriter writer, JsonElement element)
    {
        var count = 0;
        var ascii = true;
        foreach (var property in element.EnumerateObject())
        {
            count++;
            ascii &= IsPlainAscii(RawName(property));
        }

        if (count == 0)
        {
            return;
        }

        var members = System.Buffers.ArrayPool<Member>.Shared.Rent(count);
        try
        {
            var index = 0;
            foreach (var property in element.EnumerateObject())
            {
                members[index] = new Member(property, ascii ? null : property.Name, index);
                index++;
            }

            var span = members.AsSpan(0, count);
            span.Sort(ascii ? CompareAscii : CompareText);
            foreach (var member in span)
            {
                if (ascii)
                {
                    writer.WritePropertyName(RawName(member.Property));
                }
                else
                {
                    writer.WritePropertyName(member.Name!);
                }

                WriteCanonical(writer, member.Property.Value);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<Member>.Shared.Return(members, clearArray: true);
        }
    }

    private static ReadOnlySpan<byte> RawName(JsonProperty property) =>
        System.Runtime.InteropServices.JsonMarshal.GetRawUtf8PropertyName(property);

    private static readonly Comparison<Member> CompareAscii = (a, b) =>
    {
        var order = RawName(a.Property).SequenceCompareTo(RawName(b.Property));
        return order != 0 ? order : a.Index.CompareTo(b.Index);
    };

    private static readonly Comparison<Member> CompareText = (a, b) =>
    {
        var order = string.CompareOrdinal(a.Name, b.Name);
        return order != 0 ? order : a.Index.CompareTo(b.Index);
    };

    // Printable ASCII without a backslash: the raw name is the name.
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

    private readonly record struct Member(JsonProperty Property, string? Name, int Index);

    private static Guid Truncate(byte[] hash) => new(hash.AsSpan(0, 16));
}
