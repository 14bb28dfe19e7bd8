using System.Net;
using System.Text.Json;

namespace Altinn.Events.Client;

/// <summary>The service answered with an error; <see cref="Title"/>, <see cref="Detail"/> and <see cref="Errors"/> come from its ProblemDetails.</summary>
public sealed class AltinnEventsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AltinnEventsException(HttpStatusCode statusCode, string? title, string? detail, IReadOnlyDictionary<string, string[]> errors, TimeSpan? retryAfter)
        : base(Describe(statusCode, title, detail, errors))
    {
        StatusCode = statusCode;
        Title = title;
        Detail = detail;
        Errors = errors;
        RetryAfter = retryAfter;
    }

    /// <summary>The HTTP status code.</summary>
    public HttpStatusCode StatusCode { get; }

    /// <summary>The ProblemDetails title, if any.</summary>
    public string? Title { get; }

    /// <summary>The ProblemDetails detail, if any.</summary>
    public string? Detail { get; }

    /// <summary>Validation errors by field (<c>source</c>, <c>[3].id</c>, <c>endPoint</c>); empty unless a 400 named them.</summary>
    public IReadOnlyDictionary<string, string[]> Errors { get; }

    /// <summary>The answer's <c>Retry-After</c> (429, 503), if any.</summary>
    public TimeSpan? RetryAfter { get; }

    internal static async Task<AltinnEventsException> FromResponseAsync(HttpResponseMessage response, TimeProvider time, CancellationToken cancellationToken)
    {
        string? title = null, detail = null;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                title = root.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                detail = root.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                if (root.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
                {
                    foreach (var field in e.EnumerateObject())
                    {
                        errors[field.Name] = field.Value.ValueKind == JsonValueKind.Array
                            ? [.. field.Value.EnumerateArray().Select(m => m.ToString())]
                            : [field.Value.ToString()];
                    }
                }
            }
        }
        catch (JsonException)
        {
            detail = body.Length > 500 ? body[..500] : body;
        }

        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };
        return new AltinnEventsException(response.StatusCode, title, detail, errors, retryAfter);
    }

    private static string Describe(HttpStatusCode statusCode, string? title, string? detail, IReadOnlyDictionary<string, string[]> errors)
    {
        var text = $"Altinn Events answered {(int)statusCode} {title ?? statusCode.ToString()}";
        if (detail is not null)
        {
            text += ": " + detail;
        }

        if (errors.Count > 0)
        {
            text += " (" + string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")) + ")";
        }

        return text;
    }
}
