using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Altinn.Events.Core.Input;

/// <summary>A problem with a JSON body: the field it concerns (<c>specversion</c>, <c>[3].data.a</c>, or <c>body</c>) and why.</summary>
public sealed record JsonTextProblem(string Field, string Message);

/// <summary>
/// Checks a JSON body for what <see cref="JsonDocument"/> lets through but must not be stored: a member name given twice
/// in one object (which of the two counts differs between readers, so the event is ambiguous), and strings that are not
/// Unicode text (an escaped lone surrogate such as <c>"\ud800"</c>, or bytes that are not UTF-8), which fail later where
/// they are read as strings. Also reports what is not JSON, or nested deeper than <see cref="InputLimits.MaxJsonDepth"/>.
/// One pass of a forward-only reader, before the body is parsed for real.
/// </summary>
public static class JsonText
{
    /// <summary>The first problem in <paramref name="utf8"/>, or null when it is well-formed JSON without any.</summary>
    public static JsonTextProblem? Check(ReadOnlySpan<byte> utf8, int maxDepth = InputLimits.MaxJsonDepth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = maxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var frames = new List<Frame>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        frames.Add(new Frame(new HashSet<string>(StringComparer.Ordinal)));
                        break;
                    case JsonTokenType.StartArray:
                        frames.Add(new Frame(null));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        CompleteValue(frames);
                        break;
                    case JsonTokenType.PropertyName:
                        var frame = frames[^1];
                        if (ReadString(ref reader) is not { } name)
                        {
                            return new JsonTextProblem(Path(frames), "A member name is not Unicode text (an unpaired surrogate escape such as \\ud800, or bytes that are not UTF-8).");
                        }

                        frame.Member = name;
                        if (!frame.Names!.Add(name))
                        {
                            return new JsonTextProblem(Path(frames), $"The member '{name}' is given more than once in the same object; give each member once.");
                        }

                        break;
                    case JsonTokenType.String:
                        if (!IsUnicode(ref reader))
                        {
                            return new JsonTextProblem(Path(frames), "The value is not Unicode text (an unpaired surrogate escape such as \\ud800, or bytes that are not UTF-8).");
                        }

                        CompleteValue(frames);
                        break;
                    default:
                        CompleteValue(frames);
                        break;
                }
            }
        }
        catch (JsonException ex)
        {
            return new JsonTextProblem("body", $"The body is not valid JSON: {ex.Message}");
        }

        return null;
    }

    private static string? ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static bool IsUnicode(ref Utf8JsonReader reader) =>
        reader.ValueIsEscaped ? ReadString(ref reader) is not null : Utf8.IsValid(reader.ValueSpan);

    // A value ended: the next one in an array has the next index.
    private static void CompleteValue(List<Frame> frames)
    {
        if (frames.Count > 0 && frames[^1].Names is null)
        {
            frames[^1].Index++;
        }
    }

    // "specversion", "[3].data.lines[0].name"; the whole body when no member is reached yet.
    private static string Path(List<Frame> frames)
    {
        var path = new StringBuilder();
        foreach (var frame in frames)
        {
            if (frame.Names is null)
            {
                path.Append('[').Append(frame.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (frame.Member is { } member)
            {
                if (path.Length > 0)
                {
                    path.Append('.');
                }

                path.Append(member);
            }
        }

        return path.Length == 0 ? "body" : path.ToString();
    }

    private sealed class Frame(HashSet<string>? names)
    {
        /// <summary>The member names seen so far in an object; null for an array.</summary>
        public HashSet<string>? Names { get; } = names;

        /// <summary>The member being read, in an object.</summary>
        public string? Member { get; set; }

        /// <summary>The element being read, in an array.</summary>
        public int Index { get; set; }
    }
}
