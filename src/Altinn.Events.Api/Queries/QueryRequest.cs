using System.Globalization;
using System.Text.RegularExpressions;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Input;

namespace Altinn.Events.Api.Queries;

/// <summary>The parameters all three query endpoints share, parsed and checked; errors name the parameter.</summary>
internal sealed partial record QueryRequest
{
    public const int DefaultSize = 50;
    public const int MaxSize = 1000;

    /// <summary>The header that carries a person number (never the URL: it is personal data).</summary>
    public const string PersonHeader = "person";

    /// <summary>An event id: start after the earliest event with this id the caller may see (what clients that keep ids send).</summary>
    public string? After { get; init; }

    /// <summary>An opaque position from a <c>next</c> link.</summary>
    public StorePosition? Cursor { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public IReadOnlyList<string> Types { get; init; } = [];

    public int Size { get; init; } = DefaultSize;

    public static QueryRequest Parse(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var after = Single(query, "after", errors);
        var cursorText = Single(query, "cursor", errors);
        StorePosition? cursor = null;
        if (cursorText is not null)
        {
            cursor = QueryCursor.TryDecode(cursorText);
            if (cursor is null)
            {
                errors["cursor"] = ["cursor must be the value from a previous page's 'next' URL."];
            }
            else if (after is not null)
            {
                errors["cursor"] = ["Give 'cursor' (from a 'next' URL) or 'after' (an event id), not both."];
            }
        }

        var from = Time(query, "from", errors);
        var to = Time(query, "to", errors);
        if (string.IsNullOrEmpty(after) && cursorText is null && from is null && !errors.ContainsKey("from") && !errors.ContainsKey("after") && !errors.ContainsKey("cursor"))
        {
            errors["after"] = ["Give 'after' (the id of the last event you have seen), 'cursor' (from a 'next' URL) or 'from' (a time with a time zone)."];
        }

        var size = DefaultSize;
        if (Single(query, "size", errors) is { } sizeText)
        {
            if (!int.TryParse(sizeText, NumberStyles.Integer, CultureInfo.InvariantCulture, out size) || size < 1)
            {
                errors["size"] = ["size must be a whole number of at least 1."];
            }
        }

        var types = query["type"].Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).Distinct(StringComparer.Ordinal).ToArray();
        if (types.Length > InputLimits.MaxRepeatedValues)
        {
            errors["type"] = [$"Give at most {InputLimits.MaxRepeatedValues} types."];
        }

        return new QueryRequest { After = after, Cursor = cursor, From = from, To = to, Types = types, Size = Math.Min(size, MaxSize) };
    }

    /// <summary>A party id parameter, if given.</summary>
    public static int? Party(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        if (Single(query, "party", errors) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var party) && party > 0)
        {
            return party;
        }

        errors["party"] = ["party must be a party id (a positive whole number)."];
        return null;
    }

    /// <summary>An organisation number parameter (<c>unit</c>), if given.</summary>
    public static string? Unit(IQueryCollection query, Dictionary<string, string[]> errors)
    {
        var unit = Single(query, "unit", errors);
        if (unit is not null && !OrganisationNumber().IsMatch(unit))
        {
            errors["unit"] = ["unit must be an organisation number of 9 digits."];
            return null;
        }

        return unit;
    }

    /// <summary>A person number header (<c>person</c>), if given; it is personal data, so it never travels in the URL.</summary>
    public static string? Person(IHeaderDictionary headers, Dictionary<string, string[]> errors)
    {
        var person = headers[PersonHeader].FirstOrDefault();
        if (string.IsNullOrEmpty(person))
        {
            return null;
        }

        if (!PersonNumber().IsMatch(person))
        {
            errors[PersonHeader] = ["The person header must be a person number of 11 digits."];
            return null;
        }

        return person;
    }

    public static string? Single(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        var values = query[name];
        if (values.Count > 1)
        {
            errors[name] = [$"Give {name} once."];
            return null;
        }

        return values.Count == 1 && !string.IsNullOrWhiteSpace(values[0]) ? values[0] : null;
    }

    /// <summary>An RFC 3339 time parameter, in UTC; null when absent (or invalid, with the error recorded).</summary>
    public static DateTimeOffset? Time(IQueryCollection query, string name, Dictionary<string, string[]> errors)
    {
        if (Single(query, name, errors) is not { } text)
        {
            return null;
        }

        if (!CloudEventValidator.IsRfc3339(text))
        {
            errors[name] = [$"{name} must be a time with a time zone (RFC 3339), e.g. 2024-05-12T08:00:00Z or 2024-05-12T10:00:00+02:00."];
            return null;
        }

        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime();
    }

    [GeneratedRegex(@"^\d{9}$")]
    private static partial Regex OrganisationNumber();

    [GeneratedRegex(@"^\d{11}$")]
    private static partial Regex PersonNumber();
}
