using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Altinn.Events.Core.Input;

namespace Altinn.Events.Core.Matching;

/// <summary>
/// A filter expression of the CloudEvents Subscriptions API, over an event's context attributes (every top-level member
/// but the data, as text): <c>exact</c>, <c>prefix</c> and <c>suffix</c> compare one attribute's value (case-sensitive;
/// an absent attribute never matches); <c>all</c>, <c>any</c> and <c>not</c> combine nested expressions.
/// </summary>
public abstract record CloudEventFilter
{
    public abstract bool Matches(IReadOnlyDictionary<string, string> attributes);

    public sealed record Exact(string Attribute, string Value) : CloudEventFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string> attributes) =>
            attributes.TryGetValue(Attribute, out var v) && string.Equals(v, Value, StringComparison.Ordinal);
    }

    public sealed record Prefix(string Attribute, string Value) : CloudEventFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string> attributes) =>
            attributes.TryGetValue(Attribute, out var v) && v.StartsWith(Value, StringComparison.Ordinal);
    }

    public sealed record Suffix(string Attribute, string Value) : CloudEventFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string> attributes) =>
            attributes.TryGetValue(Attribute, out var v) && v.EndsWith(Value, StringComparison.Ordinal);
    }

    public sealed record All(IReadOnlyList<CloudEventFilter> Filters) : CloudEventFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string> attributes) => Filters.All(f => f.Matches(attributes));
    }

    public sealed record Any(IReadOnlyList<CloudEventFilter> Filters) : CloudEventFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string> attributes) => Filters.Any(f => f.Matches(attributes));
    }

    public sealed record Not(CloudEventFilter Filter) : CloudEventFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string> attributes) => !Filter.Matches(attributes);
    }
}

/// <summary>
/// Reading, writing and applying the <c>filters</c> of a subscription: an array of filter expressions (CloudEvents
/// Subscriptions API dialects), all of which must hold. Limits: <see cref="MaxExpressions"/> expressions in all, nested
/// at most <see cref="MaxDepth"/> deep, every value by the text rule.
/// </summary>
public static partial class CloudEventFilters
{
    public const int MaxExpressions = 50;
    public const int MaxDepth = 8;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// The filters of a request (<paramref name="filters"/>: a JSON array of expressions), or null with errors keyed
    /// <c>filters[i]...</c> (or <paramref name="field"/>); an empty array is no filter.
    /// </summary>
    public static CloudEventFilter.All? Parse(JsonElement filters, string field, IDictionary<string, string[]> errors)
    {
        if (filters.ValueKind != JsonValueKind.Array)
        {
            errors[field] = ["The filters must be an array of filter expressions ({\"exact\":{...}}, prefix, suffix, all, any, not)."];
            return null;
        }

        var count = 0;
        var parsed = new List<CloudEventFilter>();
        var index = 0;
        foreach (var item in filters.EnumerateArray())
        {
            var path = $"{field}[{index++}]";
            if (ParseExpression(item, path, 1, ref count, errors) is { } expression)
            {
                parsed.Add(expression);
            }
        }

        if (count > MaxExpressions)
        {
            errors[field] = [$"The filters may hold at most {MaxExpressions} expressions in all; they hold {count}."];
        }

        return errors.Keys.Any(k => k.StartsWith(field, StringComparison.Ordinal)) || parsed.Count == 0 ? null : new CloudEventFilter.All(parsed);
    }

    /// <summary>Filters as stored (written by <see cref="ToJson"/>); null for none.</summary>
    public static CloudEventFilter.All? FromStored(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        var errors = new Dictionary<string, string[]>();
        return Parse(document.RootElement, "filters", errors) ?? throw new FormatException($"Stored filters are not valid: {string.Join("; ", errors.SelectMany(e => e.Value))}");
    }

    /// <summary>The filters as a JSON array of expressions, the form stored and shown.</summary>
    public static string ToJson(CloudEventFilter.All filters)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var f in filters.Filters)
            {
                Write(writer, f);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// The context attributes of a structured-mode event, as text: strings as they are, numbers and booleans as written;
    /// <c>data</c> and <c>data_base64</c> are not attributes.
    /// </summary>
    public static Dictionary<string, string> AttributesOf(JsonElement cloudEvent)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        if (cloudEvent.ValueKind != JsonValueKind.Object)
        {
            return attributes;
        }

        foreach (var property in cloudEvent.EnumerateObject())
        {
            if (property.Name is "data" or "data_base64")
            {
                continue;
            }

            var value = property.Value;
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    attributes[property.Name] = value.GetString()!;
                    break;
                case JsonValueKind.Number:
                case JsonValueKind.True:
                case JsonValueKind.False:
                    attributes[property.Name] = value.GetRawText();
                    break;
            }
        }

        return attributes;
    }

    private static CloudEventFilter? ParseExpression(JsonElement e, string path, int depth, ref int count, IDictionary<string, string[]> errors)
    {
        count++;
        if (depth > MaxDepth)
        {
            errors[path] = [$"Filter expressions may be nested at most {MaxDepth} deep."];
            return null;
        }

        if (e.ValueKind != JsonValueKind.Object || e.EnumerateObject().Count() != 1)
        {
            errors[path] = ["A filter expression is an object with exactly one dialect: exact, prefix, suffix, all, any or not."];
            return null;
        }

        var dialect = e.EnumerateObject().First();
        var at = $"{path}.{dialect.Name}";
        switch (dialect.Name)
        {
            case "exact":
            case "prefix":
            case "suffix":
                if (AttributeValue(dialect.Value, at, errors) is not { } pair)
                {
                    return null;
                }

                return dialect.Name switch
                {
                    "exact" => new CloudEventFilter.Exact(pair.Attribute, pair.Value),
                    "prefix" => new CloudEventFilter.Prefix(pair.Attribute, pair.Value),
                    _ => new CloudEventFilter.Suffix(pair.Attribute, pair.Value),
                };
            case "all":
            case "any":
                if (dialect.Value.ValueKind != JsonValueKind.Array || dialect.Value.GetArrayLength() == 0)
                {
                    errors[at] = [$"'{dialect.Name}' takes a non-empty array of filter expressions."];
                    return null;
                }

                var nested = new List<CloudEventFilter>();
                var i = 0;
                var failed = false;
                foreach (var item in dialect.Value.EnumerateArray())
                {
                    if (ParseExpression(item, $"{at}[{i++}]", depth + 1, ref count, errors) is { } n)
                    {
                        nested.Add(n);
                    }
                    else
                    {
                        failed = true;
                    }
                }

                return failed ? null : dialect.Name == "all" ? new CloudEventFilter.All(nested) : new CloudEventFilter.Any(nested);
            case "not":
                return ParseExpression(dialect.Value, at, depth + 1, ref count, errors) is { } inner ? new CloudEventFilter.Not(inner) : null;
            default:
                errors[at] = [$"'{dialect.Name}' is not a supported filter dialect; use exact, prefix, suffix, all, any or not."];
                return null;
        }
    }

    private static (string Attribute, string Value)? AttributeValue(JsonElement value, string path, IDictionary<string, string[]> errors)
    {
        if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Count() != 1)
        {
            errors[path] = ["This dialect takes an object with exactly one attribute and its value, e.g. {\"type\": \"app.instance.created\"}."];
            return null;
        }

        var property = value.EnumerateObject().First();
        if (!AttributeNamePattern().IsMatch(property.Name))
        {
            errors[path] = [$"'{property.Name}' is not a CloudEvents attribute name (lowercase letters and digits)."];
            return null;
        }

        if (property.Value.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(property.Value.GetString()))
        {
            errors[path] = ["The value to compare with must be a non-empty string."];
            return null;
        }

        var text = property.Value.GetString()!;
        if (TextRules.Problem(text, path) is { } problem)
        {
            errors[path] = [problem];
            return null;
        }

        return (property.Name, text);
    }

    private static void Write(Utf8JsonWriter writer, CloudEventFilter filter)
    {
        writer.WriteStartObject();
        switch (filter)
        {
            case CloudEventFilter.Exact x:
                WritePair(writer, "exact", x.Attribute, x.Value);
                break;
            case CloudEventFilter.Prefix p:
                WritePair(writer, "prefix", p.Attribute, p.Value);
                break;
            case CloudEventFilter.Suffix s:
                WritePair(writer, "suffix", s.Attribute, s.Value);
                break;
            case CloudEventFilter.All a:
                WriteList(writer, "all", a.Filters);
                break;
            case CloudEventFilter.Any a:
                WriteList(writer, "any", a.Filters);
                break;
            case CloudEventFilter.Not n:
                writer.WritePropertyName("not");
                Write(writer, n.Filter);
                break;
            default:
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Unknown filter {filter}."), nameof(filter));
        }

        writer.WriteEndObject();
    }

    private static void WritePair(Utf8JsonWriter writer, string dialect, string attribute, string value)
    {
        writer.WriteStartObject(dialect);
        writer.WriteString(attribute, value);
        writer.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter writer, string dialect, IReadOnlyList<CloudEventFilter> filters)
    {
        writer.WriteStartArray(dialect);
        foreach (var f in filters)
        {
            Write(writer, f);
        }

        writer.WriteEndArray();
    }

    [GeneratedRegex("^[a-z0-9]{1,64}$")]
    private static partial Regex AttributeNamePattern();
}

/// <summary>
/// A subscription's type filter: a list of entries, each an exact type or a prefix ending in <c>.*</c>
/// (<c>app.instance.process.*</c> matches <c>app.instance.process.completed</c>, not <c>app.instance.processed</c>).
/// </summary>
public static class TypeFilters
{
    public const string Wildcard = ".*";

    /// <summary>Most entries of one type filter.</summary>
    public const int MaxEntries = InputLimits.MaxRepeatedValues;

    /// <summary>Whether <paramref name="type"/> matches one of <paramref name="entries"/>; null or empty: every type.</summary>
    public static bool Matches(IReadOnlyList<string>? entries, string type)
    {
        if (entries is null || entries.Count == 0)
        {
            return true;
        }

        foreach (var entry in entries)
        {
            if (entry.EndsWith(Wildcard, StringComparison.Ordinal)
                ? type.StartsWith(entry.AsSpan(0, entry.Length - 1), StringComparison.Ordinal)
                : string.Equals(entry, type, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>What is wrong with one entry, or null: a <c>*</c> anywhere but as the final <c>.*</c>.</summary>
    public static string? EntryProblem(string entry)
    {
        var star = entry.IndexOf('*', StringComparison.Ordinal);
        if (star < 0)
        {
            return null;
        }

        return star == entry.Length - 1 && entry.EndsWith(Wildcard, StringComparison.Ordinal) && entry.Length > Wildcard.Length
            ? null
            : "A typeFilter entry is an exact type or a prefix ending in '.*' (app.instance.process.*); '*' may appear nowhere else.";
    }
}
