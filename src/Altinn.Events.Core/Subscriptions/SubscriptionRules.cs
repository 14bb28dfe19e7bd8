using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Altinn.Events.Core.Authorization;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Identity;
using Altinn.Events.Core.Input;
using Altinn.Events.Core.Matching;

namespace Altinn.Events.Core.Subscriptions;

/// <summary>
/// A subscription as a client asks for it (<c>POST /subscriptions</c>, or one after <c>PATCH</c>). TypeFilter: a string
/// or an array of strings (<see cref="TypeFilters"/>), null for every type. Filters: an array of CloudEvents
/// Subscriptions API filter expressions (<see cref="CloudEventFilters"/>). ContentMode: <see cref="ContentModes"/>, null
/// for structured. ValidationMethod: <see cref="ValidationMethods"/>, null for the validation event.
/// </summary>
public sealed record SubscriptionInput(
    string? EndPoint,
    string? SourceFilter,
    string? ResourceFilter,
    string? SubjectFilter,
    string? AlternativeSubjectFilter,
    JsonElement? TypeFilter,
    bool? IncludeSubunits,
    JsonElement? Filters = null,
    string? ContentMode = null,
    int? BatchMaxEvents = null,
    int? BatchMaxBytes = null,
    string? ValidationMethod = null,
    bool? Enabled = null);

/// <summary>
/// A subscription that passed the rules, normalized for storage and matching: the resource filter is always set
/// (for app subscriptions derived from the source filter), the source filter has no trailing slash.
/// The alternative subject, when given, still has to be resolved to a <c>/party/{id}</c> subject filter.
/// </summary>
public sealed record SubscriptionDraft(
    Uri EndPoint,
    string? SourceFilter,
    string ResourceFilter,
    string? SubjectFilter,
    string? AlternativeSubjectFilter,
    IReadOnlyList<string>? TypeFilter,
    bool IncludeSubunits,
    string? AppOrg,
    string? AppName,
    CloudEventFilter.All? Filters = null,
    string ContentMode = ContentModes.Structured,
    int? BatchMaxEvents = null,
    int? BatchMaxBytes = null,
    string ValidationMethod = ValidationMethods.Event,
    bool Enabled = true)
{
    /// <summary>The filters in the form stored and shown, or null.</summary>
    public string? FiltersJson => Filters is null ? null : CloudEventFilters.ToJson(Filters);

    public bool IsApp => AppOrg is not null;

    /// <summary>The authorization action the subscription needs: <c>read</c> on an app, <c>subscribe</c> otherwise.</summary>
    public string Action => Actions.For(ResourceFilter);

    /// <summary>No subject filter or alternative subject filter: about every party (or, for its owner, every event).</summary>
    public bool HasSubject => SubjectFilter is not null || AlternativeSubjectFilter is not null;
}

/// <summary>What the rules say about a subscription request.</summary>
public sealed record SubscriptionCheck(SubscriptionDraft? Draft, IReadOnlyDictionary<string, string[]> Errors, string? Forbidden)
{
    public bool IsValid => Draft is not null;
}

/// <summary>
/// The rules of <c>POST /subscriptions</c> that need no I/O: shapes of every field, app versus generic subscriptions,
/// who needs a subject filter, scopes, and the endpoint URL. Errors are keyed by the request's field names.
/// </summary>
public static partial class SubscriptionRules
{
    /// <param name="input">The request.</param>
    /// <param name="caller">Who asks.</param>
    /// <param name="appsDomain">Where app sources live.</param>
    /// <param name="allowHttpLoopback">Development and tests: http to loopback is accepted.</param>
    /// <param name="allowedPorts">The ports an endpoint may use; null or empty: any.</param>
    public static SubscriptionCheck Check(SubscriptionInput input, Caller caller, string appsDomain, bool allowHttpLoopback, IReadOnlyCollection<int>? allowedPorts = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var endPoint = CheckEndPoint(input.EndPoint, allowHttpLoopback, allowedPorts, errors);

        string? resource = null;
        (string Org, string App)? app = null;
        if (Given(input.ResourceFilter, "resourceFilter", errors) is { } r)
        {
            if (!ResourcePattern().IsMatch(r))
            {
                errors["resourceFilter"] = ["The resourceFilter must be a URN urn:altinn:resource:{id} (letters, digits, '-', '_' and '.')."];
            }
            else
            {
                resource = r;
                app = AppResources.TryParse(r, out var org, out var name) ? (org, name) : null;
            }
        }

        string? source = null;
        if (Given(input.SourceFilter, "sourceFilter", errors) is { } s)
        {
            source = CheckSource(s, appsDomain, errors, out var sourceApp);
            if (sourceApp is { } fromSource)
            {
                if (app is { } fromResource && fromResource != fromSource)
                {
                    errors["sourceFilter"] = [$"The sourceFilter names the app {fromSource.Org}/{fromSource.App}, but the resourceFilter names {fromResource.Org}/{fromResource.App}."];
                }
                else if (resource is not null && app is null)
                {
                    errors["sourceFilter"] = ["A sourceFilter on the apps domain needs the app's resource (urn:altinn:resource:app_{org}_{app}) or no resourceFilter."];
                }

                app = fromSource;
                resource ??= AppResources.For(fromSource.Org, fromSource.App);
            }
        }

        var subject = Given(input.SubjectFilter, "subjectFilter", errors);
        if (subject is not null)
        {
            if (subject.StartsWith("/person/", StringComparison.Ordinal) || subject.StartsWith("/organisation/", StringComparison.Ordinal))
            {
                errors["subjectFilter"] = ["Give a person or organisation number as alternativeSubjectFilter; subjectFilter takes /party/{id}."];
            }
            else if (app is not null && Subjects.PartyId(subject) is null)
            {
                errors["subjectFilter"] = ["The subjectFilter of an app subscription must be /party/{id}."];
            }
        }

        var alternative = Given(input.AlternativeSubjectFilter, "alternativeSubjectFilter", errors);
        if (alternative is not null)
        {
            if (!AlternativeSubjectPattern().IsMatch(alternative))
            {
                errors["alternativeSubjectFilter"] = ["The alternativeSubjectFilter must be /person/{11 digits} or /organisation/{9 digits}."];
            }
            else if (subject is not null)
            {
                errors["alternativeSubjectFilter"] = ["Give subjectFilter or alternativeSubjectFilter, not both."];
            }
        }

        var type = CheckTypes(input.TypeFilter, errors);
        var filters = input.Filters is { ValueKind: not JsonValueKind.Null } f ? CloudEventFilters.Parse(f, "filters", errors) : null;
        var contentMode = input.ContentMode ?? ContentModes.Structured;
        if (!ContentModes.IsKnown(contentMode))
        {
            errors["contentMode"] = ["The contentMode must be structured, binary or batched."];
        }
        else if (contentMode != ContentModes.Batched)
        {
            if (input.BatchMaxEvents is not null)
            {
                errors["batchMaxEvents"] = ["batchMaxEvents goes with contentMode batched."];
            }

            if (input.BatchMaxBytes is not null)
            {
                errors["batchMaxBytes"] = ["batchMaxBytes goes with contentMode batched."];
            }
        }

        if (input.BatchMaxEvents is < 1 or > ContentModes.MaxBatchEvents)
        {
            errors["batchMaxEvents"] = [$"The batchMaxEvents must be between 1 and {ContentModes.MaxBatchEvents}."];
        }

        if (input.BatchMaxBytes is < ContentModes.MinBatchBytes or > ContentModes.MaxBatchBytes)
        {
            errors["batchMaxBytes"] = [$"The batchMaxBytes must be between {ContentModes.MinBatchBytes} and {ContentModes.MaxBatchBytes}."];
        }

        var validationMethod = input.ValidationMethod ?? ValidationMethods.Event;
        if (!ValidationMethods.IsKnown(validationMethod))
        {
            errors["validationMethod"] = ["The validationMethod must be event (the validation event, the default) or options (the CloudEvents HTTP webhook handshake)."];
        }

        var hasSubject = input.SubjectFilter is not null || input.AlternativeSubjectFilter is not null;
        if (input.IncludeSubunits == true && !hasSubject)
        {
            errors["includeSubunits"] = ["includeSubunits needs a subjectFilter or an alternativeSubjectFilter (the main unit)."];
        }

        if (app is { } a)
        {
            var isOwner = AppOwner.Owns(caller, a.Org);
            if (!isOwner && !hasSubject && !MayCoverParties(caller.Kind))
            {
                errors.TryAdd("subjectFilter", [$"A subscription to the app {a.Org}/{a.App} needs a subjectFilter (or alternativeSubjectFilter) unless the caller is its owner {a.Org}, a user, an organisation or a system user (who then get the events of every party they may read)."]);
            }
        }
        else if (!errors.ContainsKey("resourceFilter") && !errors.ContainsKey("sourceFilter"))
        {
            if (resource is null)
            {
                errors["resourceFilter"] = ["A resourceFilter (urn:altinn:resource:{id}) is required, unless the subscription is to an app (resourceFilter urn:altinn:resource:app_{org}_{app} or a sourceFilter on the apps domain)."];
            }
            else if (errors.Count == 0 && !caller.HasScope(Scopes.Subscribe))
            {
                return new SubscriptionCheck(null, errors, $"Subscribing to {resource} needs the scope {Scopes.Subscribe}.");
            }
        }

        if (errors.Count > 0)
        {
            return new SubscriptionCheck(null, errors, null);
        }

        return new SubscriptionCheck(
            new SubscriptionDraft(
                endPoint!, source, resource!, subject, alternative, type, input.IncludeSubunits == true, app?.Org, app?.App,
                filters, contentMode, input.BatchMaxEvents, input.BatchMaxBytes, validationMethod, input.Enabled ?? true),
            errors,
            null);
    }

    /// <summary>
    /// Whether a subscription of this kind of consumer without a subject filter may cover every party the consumer holds
    /// rights for (found through <see cref="IAuthorizedParties"/>), as the rights change: users, organisations and system
    /// users. Service owners' subscriptions without a subject are about every event of the resource instead.
    /// </summary>
    public static bool MayCoverParties(CallerKind kind) => kind is CallerKind.User or CallerKind.Organisation or CallerKind.SystemUser;

    /// <summary>
    /// Whether the URL may be a webhook: absolute, https (or http to loopback when allowed), no user info, on an allowed
    /// port (<paramref name="allowedPorts"/>; null or empty: any). Where its host resolves to is checked separately
    /// (<see cref="AddressClassifier"/>).
    /// </summary>
    public static string? EndPointError(string endPoint, bool allowHttpLoopback, IReadOnlyCollection<int>? allowedPorts, out Uri? uri)
    {
        if (!Uri.TryCreate(endPoint, UriKind.Absolute, out uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp) || string.IsNullOrEmpty(uri.Host))
        {
            uri = null;
            return "The endPoint must be an absolute https URL.";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "The endPoint must not carry credentials in the URL; authenticate the requests with the subscription's signing secret.";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !(allowHttpLoopback && IsLoopbackHost(uri)))
        {
            return allowHttpLoopback
                ? "The endPoint must use https; http is accepted only to loopback (127.0.0.1, [::1], localhost)."
                : "The endPoint must use https.";
        }

        if (allowedPorts is { Count: > 0 } && !allowedPorts.Contains(uri.Port))
        {
            return $"The endPoint must use port {string.Join(" or ", allowedPorts.Order())}, not {uri.Port}.";
        }

        return null;
    }

    /// <summary>localhost, 127.0.0.0/8 or ::1.</summary>
    public static bool IsLoopbackHost(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var ip) && IPAddress.IsLoopback(ip));

    private static Uri? CheckEndPoint(string? endPoint, bool allowHttpLoopback, IReadOnlyCollection<int>? allowedPorts, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(endPoint))
        {
            errors["endPoint"] = ["The endPoint is required."];
            return null;
        }

        if (endPoint.Length > InputLimits.MaxEndPointLength)
        {
            errors["endPoint"] = [$"The endPoint may be at most {InputLimits.MaxEndPointLength} characters."];
            return null;
        }

        if (!TextRules.IsCleanText(endPoint))
        {
            errors["endPoint"] = ["'endPoint' holds a control character or an unpaired surrogate; send printable text only."];
            return null;
        }

        if (EndPointError(endPoint, allowHttpLoopback, allowedPorts, out var uri) is { } error)
        {
            errors["endPoint"] = [error];
            return null;
        }

        return uri;
    }

    private static string? CheckSource(string source, string appsDomain, Dictionary<string, string[]> errors, out (string Org, string App)? app)
    {
        app = null;
        if (!CloudEventValidator.IsAbsoluteUriOrUrn(source))
        {
            errors["sourceFilter"] = ["The sourceFilter must be an absolute URI or a URN."];
            return null;
        }

        var normalized = source.TrimEnd('/');
        if (Uri.TryCreate(normalized, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            && uri.Host.EndsWith(".apps." + appsDomain, StringComparison.OrdinalIgnoreCase))
        {
            var org = uri.Host[..uri.Host.IndexOf('.', StringComparison.Ordinal)].ToLowerInvariant();
            var segments = uri.AbsolutePath.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length < 2 || !string.Equals(segments[0], org, StringComparison.Ordinal) || !AppNamePattern().IsMatch(segments[1]))
            {
                errors["sourceFilter"] = [string.Create(CultureInfo.InvariantCulture, $"A sourceFilter on the apps domain must be https://{{org}}.apps.{appsDomain}/{{org}}/{{app}}[/...].")];
                return null;
            }

            app = (org, segments[1]);
        }

        return normalized;
    }

    /// <summary>
    /// The type filter's entries, distinct and in ordinal order (so identical subscriptions compare equal), or null for
    /// every type; a string is one entry. Each entry follows the rules of a filter and <see cref="TypeFilters"/>.
    /// </summary>
    private static IReadOnlyList<string>? CheckTypes(JsonElement? value, Dictionary<string, string[]> errors)
    {
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var given = new List<string>();
        if (element.ValueKind == JsonValueKind.String)
        {
            given.Add(element.GetString()!);
        }
        else if (element.ValueKind == JsonValueKind.Array && element.EnumerateArray().All(e => e.ValueKind == JsonValueKind.String))
        {
            given.AddRange(element.EnumerateArray().Select(e => e.GetString()!));
        }
        else
        {
            errors["typeFilter"] = ["The typeFilter must be a type or an array of types."];
            return null;
        }

        if (given.Count == 0 || given.Count > TypeFilters.MaxEntries)
        {
            errors["typeFilter"] = [$"The typeFilter must hold between 1 and {TypeFilters.MaxEntries} types."];
            return null;
        }

        foreach (var entry in given)
        {
            if (Given(entry, "typeFilter", errors) is null)
            {
                return null;
            }

            if (TypeFilters.EntryProblem(entry) is { } problem)
            {
                errors["typeFilter"] = [problem];
                return null;
            }
        }

        return [.. given.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// The value, null when absent; an empty or blank value, surrounding spaces, or text the text rule refuses (control
    /// characters, unpaired surrogates, more than <see cref="InputLimits.MaxTextBytes"/> bytes: filters are indexed) is an
    /// error on <paramref name="field"/>.
    /// </summary>
    private static string? Given(string? value, string field, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(value) || value.Trim() != value)
        {
            errors[field] = [$"The {field} must be a non-empty string without surrounding spaces when given."];
            return null;
        }

        if (TextRules.Problem(value, field) is { } problem)
        {
            errors[field] = [problem];
            return null;
        }

        return value;
    }

    [GeneratedRegex(@"^urn:altinn:resource:[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
    private static partial Regex ResourcePattern();

    [GeneratedRegex(@"^(/person/\d{11}|/organisation/\d{9})$")]
    private static partial Regex AlternativeSubjectPattern();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9\-_]*$")]
    private static partial Regex AppNamePattern();
}
