using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Altinn.Events.Core.Input;

namespace Altinn.Events.Core.Events;

/// <summary>
/// Checks a structured-mode CloudEvent (its JSON object) against the contract before the SDK parses it, so every
/// problem is reported with the attribute it concerns. Errors are keyed by attribute name, prefixed by
/// <c>[i].</c> for entries of a batch.
/// </summary>
public static partial class CloudEventValidator
{
    // The attributes checked by name, each against the text rule and InputLimits.MaxTextBytes.
    private static readonly HashSet<string> NamedAttributes = new(StringComparer.Ordinal)
    {
        "specversion", "id", "source", "type", "subject", "time", "resource", "resourceinstance", "datacontenttype", "dataschema", "alternativesubject",
    };

    /// <summary>Validates a generic event for <c>POST /events</c>.</summary>
    public static void ValidateGeneric(JsonElement cloudEvent, string prefix, IDictionary<string, List<string>> errors)
    {
        if (!IsObject(cloudEvent, prefix, errors))
        {
            return;
        }

        ValidateCommon(cloudEvent, prefix, errors);
        RequireString(cloudEvent, "id", prefix, errors);
        if (RequireString(cloudEvent, "resource", prefix, errors) is { } resource && !ResourcePattern().IsMatch(resource))
        {
            Add(errors, prefix + "resource", "The resource must be a URN of the form urn:altinn:resource:{id} (letters, digits, '-', '_' and '.').");
        }
    }

    /// <summary>Validates an app event for <c>POST /app</c>: the service sets id, time and resource.</summary>
    public static void ValidateApp(JsonElement cloudEvent, string prefix, IDictionary<string, List<string>> errors)
    {
        if (!IsObject(cloudEvent, prefix, errors))
        {
            return;
        }

        ValidateCommon(cloudEvent, prefix, errors);
        RequireString(cloudEvent, "subject", prefix, errors);
    }

    private static void ValidateCommon(JsonElement e, string prefix, IDictionary<string, List<string>> errors)
    {
        if (RequireString(e, "specversion", prefix, errors) is { } version && version != "1.0")
        {
            Add(errors, prefix + "specversion", $"Only CloudEvents specversion 1.0 is supported, not '{version}'.");
        }

        if (RequireString(e, "source", prefix, errors) is { } source && !IsAbsoluteUriOrUrn(source))
        {
            Add(errors, prefix + "source", "The source must be an absolute URI or a URN.");
        }

        RequireString(e, "type", prefix, errors);

        if (OptionalString(e, "time", prefix, errors) is { } time && !IsRfc3339(time))
        {
            Add(errors, prefix + "time", "The time must be an RFC 3339 timestamp with a time zone, e.g. 2024-05-12T00:02:07.541Z.");
        }

        OptionalString(e, "subject", prefix, errors);
        OptionalString(e, "resourceinstance", prefix, errors);
        OptionalString(e, "datacontenttype", prefix, errors);
        OptionalString(e, "dataschema", prefix, errors);

        if (OptionalString(e, "alternativesubject", prefix, errors) is { } alternative && !AlternativeSubjectPattern().IsMatch(alternative))
        {
            Add(errors, prefix + "alternativesubject", "The alternativesubject must be /person/{11 digits} or /organisation/{9 digits}.");
        }

        if (e.TryGetProperty("data", out _) && e.TryGetProperty("data_base64", out _))
        {
            Add(errors, prefix + "data", "Give data or data_base64, not both.");
        }

        foreach (var property in e.EnumerateObject())
        {
            if (!AttributeNamePattern().IsMatch(property.Name))
            {
                Add(errors, prefix + property.Name, "Attribute names are lowercase letters and digits (CloudEvents 1.0).");
            }
            else if (!NamedAttributes.Contains(property.Name) && property.Name != "data" && property.Value.ValueKind == JsonValueKind.String
                && (!TryGetString(property.Value, out var text) || !TextRules.IsCleanText(text)))
            {
                // Extension attributes are text too (their length is bounded by the event's size only). Data is the
                // publisher's own: any JSON, escaped control characters included.
                Add(errors, prefix + property.Name, $"'{property.Name}' holds a control character or an unpaired surrogate; send printable text only.");
            }
        }
    }

    private static bool IsObject(JsonElement e, string prefix, IDictionary<string, List<string>> errors)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            return true;
        }

        Add(errors, prefix.Length == 0 ? "body" : prefix.TrimEnd('.'), "A CloudEvent must be a JSON object.");
        return false;
    }

    private static string? RequireString(JsonElement e, string name, string prefix, IDictionary<string, List<string>> errors)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            Add(errors, prefix + name, $"The {name} attribute is required.");
            return null;
        }

        return Text(value, name, prefix, errors, "must be a non-empty string");
    }

    private static string? OptionalString(JsonElement e, string name, string prefix, IDictionary<string, List<string>> errors)
    {
        if (!e.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return Text(value, name, prefix, errors, "must be a non-empty string when given");
    }

    // A named attribute's text: a non-empty string that passes the text rule and the length limit (it lands in an index).
    private static string? Text(JsonElement value, string name, string prefix, IDictionary<string, List<string>> errors, string shape)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            Add(errors, prefix + name, $"The {name} attribute {shape}.");
            return null;
        }

        if (!TryGetString(value, out var text))
        {
            Add(errors, prefix + name, $"The {name} attribute is not Unicode text (an unpaired surrogate).");
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            Add(errors, prefix + name, $"The {name} attribute {shape}.");
            return null;
        }

        if (TextRules.Problem(text, name) is { } problem)
        {
            Add(errors, prefix + name, problem);
            return null;
        }

        return text;
    }

    private static bool TryGetString(JsonElement value, out string text)
    {
        try
        {
            text = value.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate (JsonText reports it first on the publish path).
            text = string.Empty;
            return false;
        }
    }

    // The scheme check matters: on Unix, Uri takes "/a/path" for an absolute file URI.
    public static bool IsAbsoluteUriOrUrn(string value) =>
        SchemePattern().IsMatch(value)
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme != "urn" || UrnPattern().IsMatch(value));

    public static bool IsRfc3339(string value) =>
        Rfc3339Pattern().IsMatch(value)
        && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _);

    private static void Add(IDictionary<string, List<string>> errors, string key, string message)
    {
        if (!errors.TryGetValue(key, out var list))
        {
            errors[key] = list = [];
        }

        if (!list.Contains(message))
        {
            list.Add(message);
        }
    }

    [GeneratedRegex(@"^urn:altinn:resource:[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex ResourcePattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:")]
    private static partial Regex SchemePattern();

    [GeneratedRegex(@"^urn:[A-Za-z0-9][A-Za-z0-9\-]{0,31}:\S+$")]
    private static partial Regex UrnPattern();

    [GeneratedRegex(@"^(/person/\d{11}|/organisation/\d{9})$")]
    private static partial Regex AlternativeSubjectPattern();

    [GeneratedRegex(@"^[a-z0-9]{1,64}$|^data_base64$")]
    private static partial Regex AttributeNamePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+\-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339Pattern();
}
