using System.Globalization;
using System.Text;

namespace Altinn.Events.Client;

/// <summary>
/// A query over one of the three query endpoints: <see cref="Events"/> (<c>GET /events</c>, generic events of a resource),
/// <see cref="App"/> (<c>GET /app/{org}/{app}</c>, for the app's owner) and <see cref="Party"/> (<c>GET /app/party</c>,
/// app events about one party). Set the remaining filters with <c>with { ... }</c>.
/// </summary>
public sealed record EventQuery
{
    private EventQuery(string path, string? resource)
    {
        Path = path;
        Resource = resource;
    }

    /// <summary>The endpoint, relative to the API's base address.</summary>
    public string Path { get; }

    /// <summary>The resource (<c>/events</c> only, where it is required).</summary>
    public string? Resource { get; }

    /// <summary>Where to start when there is no stored cursor: the id of the last event seen (<c>0</c>: the oldest retained). Default when neither this nor <see cref="From"/> is set: <c>0</c>.</summary>
    public string? After { get; init; }

    /// <summary>Events registered from this time (alone, or as a lower bound).</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Events registered up to this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>The event subject (<c>/events</c>).</summary>
    public string? Subject { get; init; }

    /// <summary>The alternative subject, sent as the <c>Altinn-AlternativeSubject</c> header (<c>/events</c>; not with <see cref="Subject"/>).</summary>
    public string? AlternativeSubject { get; init; }

    /// <summary>Event types; any of them matches.</summary>
    public IReadOnlyList<string> Types { get; init; } = [];

    /// <summary>The party (<c>/app/...</c>).</summary>
    public int? PartyId { get; init; }

    /// <summary>The organisation number (<c>/app/...</c>).</summary>
    public string? Unit { get; init; }

    /// <summary>A person number, sent in the <c>person</c> header, never in the URL (<c>/app/...</c>).</summary>
    public string? Person { get; init; }

    /// <summary>A source pattern with <c>%</c> and <c>_</c> wildcards (<c>/app/party</c>).</summary>
    public string? Source { get; init; }

    /// <summary>Events per page (service default 50, at most 1000).</summary>
    public int? Size { get; init; }

    /// <summary>Generic events of <paramref name="resource"/> the caller may subscribe to.</summary>
    public static EventQuery Events(string resource)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource);
        return new EventQuery("events", resource);
    }

    /// <summary>All events of an app, for its owner org.</summary>
    public static EventQuery App(string org, string app)
    {
        ArgumentException.ThrowIfNullOrEmpty(org);
        ArgumentException.ThrowIfNullOrEmpty(app);
        return new EventQuery($"app/{Uri.EscapeDataString(org)}/{Uri.EscapeDataString(app)}", null);
    }

    /// <summary>App events about one party that the caller may read; set <see cref="PartyId"/>, <see cref="Unit"/> or <see cref="Person"/>.</summary>
    public static EventQuery Party() => new("app/party", null);

    /// <summary>
    /// The key a cursor store keeps this query's position under by default: the path and filters (not the start
    /// position); the <c>person</c> and <c>Altinn-AlternativeSubject</c> headers only as SHA-256 hashes, so no person
    /// number is written to a store.
    /// </summary>
    public string CursorKey => Path + "?" + QueryString(cursor: null, withStart: false) + Hashed("person", Person) + Hashed("alternativesubject", AlternativeSubject);

    /// <summary>The request URI of one page: from <paramref name="cursor"/> when given, else from <see cref="After"/> / <see cref="From"/>.</summary>
    public string RequestUri(string? cursor) => Path + "?" + QueryString(cursor, withStart: true);

    private static string Hashed(string name, string? value) =>
        value is null ? string.Empty : $"#{name}={Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(value)))}";

    internal void AddHeaders(HttpRequestMessage request)
    {
        if (AlternativeSubject is not null)
        {
            request.Headers.TryAddWithoutValidation("Altinn-AlternativeSubject", AlternativeSubject);
        }

        if (Person is not null)
        {
            request.Headers.TryAddWithoutValidation("person", Person);
        }
    }

    private string QueryString(string? cursor, bool withStart)
    {
        var query = new StringBuilder();
        void Add(string name, string? value)
        {
            if (value is null)
            {
                return;
            }

            query.Append(query.Length == 0 ? string.Empty : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        Add("resource", Resource);
        if (withStart)
        {
            if (cursor is not null)
            {
                Add("cursor", cursor);
            }
            else if (After is not null || From is null)
            {
                Add("after", After ?? "0");
            }
        }

        Add("from", From?.ToString("O", CultureInfo.InvariantCulture));

        Add("to", To?.ToString("O", CultureInfo.InvariantCulture));
        Add("subject", Subject);
        foreach (var type in Types)
        {
            Add("type", type);
        }

        Add("party", PartyId?.ToString(CultureInfo.InvariantCulture));
        Add("unit", Unit);
        Add("source", Source);
        Add("size", Size?.ToString(CultureInfo.InvariantCulture));
        return query.ToString();
    }
}
