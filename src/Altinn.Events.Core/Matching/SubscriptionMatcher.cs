namespace Altinn.Events.Core.Matching;

/// <summary>
/// The filters of a subscription, as stored (source without a trailing slash, subject as <c>/party/{id}</c>, types as
/// <see cref="TypeFilters"/> entries, <paramref name="Filters"/> the CloudEvents Subscriptions API expressions).
/// </summary>
public sealed record SubscriptionFilter(string? Resource, string? Source, string? Subject, IReadOnlyList<string>? Types, bool IncludeSubunits, CloudEventFilter? Filters = null);

/// <summary>
/// What an event is matched on: its resource, the prefixes of its source at path boundaries, its subject, the
/// party of its alternative subject, and the subject of its main unit when its subject is a subunit. Attributes: every
/// context attribute of the event as text (<see cref="CloudEventFilters.AttributesOf"/>), needed only for subscriptions
/// with <see cref="SubscriptionFilter.Filters"/>.
/// </summary>
public sealed record EventMatchKeys(string Resource, IReadOnlyList<string> SourcePrefixes, string? Subject, string? AlternativeSubjectParty, string? MainUnitSubject, string Type, IReadOnlyDictionary<string, string>? Attributes = null)
{
    /// <summary>Every subject value a subscription's subject filter could equal for this event.</summary>
    public IEnumerable<string> Subjects()
    {
        if (Subject is not null)
        {
            yield return Subject;
        }

        if (AlternativeSubjectParty is not null && AlternativeSubjectParty != Subject)
        {
            yield return AlternativeSubjectParty;
        }

        if (MainUnitSubject is not null)
        {
            yield return MainUnitSubject;
        }
    }
}

/// <summary>The matching rules of the inbound stage, with no I/O.</summary>
public static class SubscriptionMatcher
{
    /// <summary>
    /// A subscription matches when each filter it sets holds: the resource equals the event's; the source is a prefix of
    /// the event's source at a path boundary; the type matches an entry of the type filter (<see cref="TypeFilters"/>); the
    /// subject equals the event's subject or the party of its alternative subject, or (with
    /// <see cref="SubscriptionFilter.IncludeSubunits"/>) the event's subject is a subunit of it; and every expression of
    /// <see cref="SubscriptionFilter.Filters"/> holds over the event's attributes.
    /// </summary>
    public static bool Matches(SubscriptionFilter filter, EventMatchKeys e) =>
        (filter.Resource is null || filter.Resource == e.Resource)
        && (filter.Source is null || e.SourcePrefixes.Contains(filter.Source))
        && TypeFilters.Matches(filter.Types, e.Type)
        && (filter.Subject is null
            || filter.Subject == e.Subject
            || filter.Subject == e.AlternativeSubjectParty
            || (filter.IncludeSubunits && filter.Subject == e.MainUnitSubject))
        && (filter.Filters is null
            || filter.Filters.Matches(e.Attributes ?? throw new InvalidOperationException("Matching a subscription with filters needs the event's attributes.")));

    /// <summary>
    /// The prefixes of a source at its path boundaries, shortest first, ending with the whole source (without a trailing
    /// slash). For a URL the boundaries are the slashes of its path (the authority is the shortest prefix); for a URN, the
    /// colons. <c>https://h/ttd/apps-test/instances/1</c> gives <c>https://h</c>, <c>https://h/ttd</c>,
    /// <c>https://h/ttd/apps-test</c>, ... — never <c>https://h/ttd/apps-test2</c> for <c>.../apps-test</c>.
    /// </summary>
    public static IReadOnlyList<string> SourcePrefixes(string source)
    {
        var value = NormalizeSource(source);
        var prefixes = new List<string>();
        int start;
        char boundary;
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var pathStart = value.IndexOf('/', schemeEnd + 3);
            if (pathStart < 0)
            {
                return [value];
            }

            prefixes.Add(value[..pathStart]);
            start = pathStart + 1;
            boundary = '/';
        }
        else if (value.StartsWith('/'))
        {
            start = 1;
            boundary = '/';
        }
        else
        {
            start = value.IndexOf(':') + 1;
            boundary = ':';
            if (start <= 0)
            {
                return [value];
            }
        }

        for (var i = value.IndexOf(boundary, start); i >= 0; i = value.IndexOf(boundary, i + 1))
        {
            if (i > 0 && value[i - 1] != boundary)
            {
                prefixes.Add(value[..i]);
            }
        }

        prefixes.Add(value);
        return prefixes;
    }

    /// <summary>A source as filters store it: no query or fragment in the comparison, no trailing slash.</summary>
    public static string NormalizeSource(string source)
    {
        var end = source.IndexOfAny(['?', '#']);
        var value = end >= 0 ? source[..end] : source;
        return value.Length > 1 ? value.TrimEnd('/') : value;
    }
}
