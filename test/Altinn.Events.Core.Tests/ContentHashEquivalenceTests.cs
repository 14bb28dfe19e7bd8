using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Altinn.Events.Core.Events;

namespace Altinn.Events.Core.Tests;

/// <summary>
/// The content hash is stored with every event and compared with every re-publish, so a faster way of computing it must
/// give the same hash as the first one for every document: <see cref="Reference"/> is that first version (decoded
/// strings, LINQ's stable sort, a fresh writer), and random documents with the names, escapes and characters where the
/// two could part (non-ASCII names whose UTF-8 and UTF-16 orders differ, names given twice, escaped and unescaped forms
/// of the same text, characters the encoder escapes, unpaired surrogates) are hashed both ways.
/// </summary>
public sealed class ContentHashEquivalenceTests
{
    private static readonly string[] Names =
    [
        "id", "source", "type", "data", "time", "subject", "a", "A", "b", "aa", "a b", "x<y", "æ", "Ω", "\uE000", "\uFFFD",
        "\U0001F600", "ö1", "d\u00e6ta", "\u2028", "long-attribute-name-with-dashes",
    ];

    private static readonly string[] Texts =
    [
        "", "plain", "urn:altinn:resource:x", "<&>'+`", "æøå", "\U0001F600 smile", "\uFFFD", "\uE000", "line\nbreak", "tab\t",
        "quote\"back\\slash", "\u0001\u001f", "\u2028\u2029", "/slash/", "12345",
    ];

    private static readonly string[] Numbers = ["0", "-0", "1", "-17", "3.14", "1E+2", "1e-7", "-0.0", "12345678901234567890", "2.50"];

    [Fact]
    public void FastHash_EqualsTheFirstVersion_OnRandomDocuments()
    {
        var random = new Random(20261203);
        for (var i = 0; i < 5000; i++)
        {
            var json = new StringBuilder();
            WriteValue(json, random, depth: 0, asObject: true);
            using var document = JsonDocument.Parse(json.ToString());
            Assert.True(
                Reference(document.RootElement) == EventIdentity.ContentHash(document.RootElement),
                $"The hashes differ for {json}");
        }
    }

    [Theory]
    [InlineData("""{"b":1,"a":2,"a":3}""")]
    [InlineData("""{"\uFFFD":1,"\uD83D\uDE00":2,"z":3}""")]
    [InlineData("""{"\u0061":"\u0041","a":"A"}""")]
    [InlineData("""{"id":"\ud800","source":"urn:a"}""")]
    [InlineData("""{"a":{"\ud800":1}}""")]
    [InlineData("""{}""")]
    [InlineData("""{"data":[{},[],"",0,true,false,null]}""")]
    public void FastHash_EqualsTheFirstVersion_OnEdgeCases(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Equal(Reference(document.RootElement), EventIdentity.ContentHash(document.RootElement));
    }

    private static void WriteValue(StringBuilder json, Random random, int depth, bool asObject = false)
    {
        var kind = asObject ? 0 : random.Next(depth >= 3 ? 2 : 0, 7);
        switch (kind)
        {
            case 0:
                json.Append('{').Append(Space(random));
                var members = random.Next(0, 7);
                for (var m = 0; m < members; m++)
                {
                    if (m > 0)
                    {
                        json.Append(',').Append(Space(random));
                    }

                    WriteString(json, random, Names[random.Next(Names.Length)]);
                    json.Append(Space(random)).Append(':').Append(Space(random));
                    WriteValue(json, random, depth + 1);
                }

                json.Append(Space(random)).Append('}');
                break;
            case 1:
                json.Append('[');
                var items = random.Next(0, 4);
                for (var n = 0; n < items; n++)
                {
                    if (n > 0)
                    {
                        json.Append(',');
                    }

                    WriteValue(json, random, depth + 1);
                }

                json.Append(']');
                break;
            case 2:
            case 3:
                WriteString(json, random, random.Next(20) == 0 ? "\ud800" : Texts[random.Next(Texts.Length)]);
                break;
            case 4:
                json.Append(Numbers[random.Next(Numbers.Length)]);
                break;
            case 5:
                json.Append(random.Next(2) == 0 ? "true" : "false");
                break;
            default:
                json.Append("null");
                break;
        }
    }

    // The text as a JSON string, each character either as itself (where JSON allows) or escaped (a surrogate pair as two
    // escapes); an unpaired surrogate always escaped.
    private static void WriteString(StringBuilder json, Random random, string text)
    {
        json.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var pair = char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
            var mustEscape = c is '"' or '\\' or < ' ' || (char.IsSurrogate(c) && !pair);
            if (mustEscape || random.Next(6) == 0)
            {
                json.Append(c switch
                {
                    '"' when random.Next(2) == 0 => "\\\"",
                    '\\' when random.Next(2) == 0 => "\\\\",
                    '\n' when random.Next(2) == 0 => "\\n",
                    _ => Escape(c, random),
                });
                if (pair)
                {
                    json.Append(Escape(text[++i], random));
                }
            }
            else
            {
                json.Append(c);
                if (pair)
                {
                    json.Append(text[++i]);
                }
            }
        }

        json.Append('"');
    }

    private static string Escape(char c, Random random) =>
        "\\u" + ((int)c).ToString(random.Next(2) == 0 ? "x4" : "X4", CultureInfo.InvariantCulture);

    private static string Space(Random random) => random.Next(4) == 0 ? " \n " : string.Empty;

    private static Guid Reference(JsonElement cloudEvent)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
        try
        {
            using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false, SkipValidation = true });
            ReferenceCanonical(writer, cloudEvent);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(cloudEvent.GetRawText())).AsSpan(0, 16));
        }

        return new Guid(SHA256.HashData(buffer.WrittenSpan).AsSpan(0, 16));
    }

    private static void ReferenceCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    ReferenceCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    ReferenceCanonical(writer, item);
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
}
