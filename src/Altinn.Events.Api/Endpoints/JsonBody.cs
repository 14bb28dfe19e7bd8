using System.Buffers;
using System.Text.Json;
using Altinn.Events.Core.Input;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Altinn.Events.Api.Endpoints;

/// <summary>
/// Reading JSON request bodies, for every endpoint that takes one: within a size limit, checked by <see cref="JsonText"/>
/// (duplicate member names, strings that are not Unicode, depth) before anything parses them for real, and with errors
/// that name the field.
/// </summary>
internal static class JsonBody
{
    /// <summary>Options for request bodies: web defaults, and a member given twice (in any casing) is an error.</summary>
    public static readonly JsonSerializerOptions RequestOptions = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false };

    /// <summary>
    /// For a body read as a <see cref="System.Text.Json.Nodes.JsonObject"/> (a merge patch): member names as given, so
    /// <c>enabled</c> and <c>ENABLED</c> are two members (the second unknown) rather than a clash inside the node.
    /// </summary>
    private static readonly JsonSerializerOptions NodeOptions = new(RequestOptions) { PropertyNameCaseInsensitive = false };

    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }

        if (request.ContentLength is { } length)
        {
            // Straight into an array of the announced size: the server's buffers go back to its pool as they are read,
            // instead of all of a large body being held twice.
            var exact = new byte[length];
            var read = await request.Body.ReadAtLeastAsync(exact, exact.Length, throwOnEndOfStream: false, cancellationToken);
            return read == exact.Length ? exact : exact.AsMemory(0, read);
        }

        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            if (result.Buffer.Length > limit)
            {
                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var body = result.Buffer.ToArray();
                reader.AdvanceTo(result.Buffer.End);
                return body;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>The body as a document, or null with the problem (naming the field) when <see cref="JsonText"/> refuses it.</summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> body, out JsonTextProblem? problem)
    {
        problem = JsonText.Check(body.Span);
        return problem is null ? JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = InputLimits.MaxJsonDepth }) : null;
    }

    /// <summary>
    /// The body as a <typeparamref name="T"/>; or the answer to give instead (a <see cref="JsonBodyProblem"/>): 415 when
    /// it is not <c>application/json</c>, 413 above <see cref="InputLimits.MaxRequestBodyBytes"/>, 400 naming the field
    /// when it is not JSON of that shape.
    /// </summary>
    public static async Task<(T? Value, JsonBodyProblem? Error)> ReadAsync<T>(HttpRequest request, string title, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, new(Problems.UnsupportedMediaType("Send the request as application/json.")));
        }

        if (await ReadAsync(request, InputLimits.MaxRequestBodyBytes, cancellationToken) is not { } body)
        {
            return (null, new(Problems.TooLarge($"The body may be at most {InputLimits.MaxRequestBodyBytes} bytes.")));
        }

        if (JsonText.Check(body.Span) is { } problem)
        {
            return (null, new(Problems.Invalid(problem.Field, problem.Message, title)));
        }

        try
        {
            var options = typeof(T) == typeof(System.Text.Json.Nodes.JsonObject) ? NodeOptions : RequestOptions;
            return JsonSerializer.Deserialize<T>(body.Span, options) is { } value
                ? (value, null)
                : (null, new(Problems.Invalid("body", "A JSON object is required.", title)));
        }
        catch (JsonException ex)
        {
            return (null, new(Problems.Invalid(FieldOf(ex.Path), "The value is not valid JSON of the expected type (or a member is given twice).", title)));
        }
    }

    /// <summary>A JSON object already read (by <see cref="ReadAsync{T}"/>) as a <typeparamref name="T"/>, or the 400 naming the field.</summary>
    public static (T? Value, ValidationProblem? Error) Convert<T>(System.Text.Json.Nodes.JsonNode node, string title)
        where T : class
    {
        try
        {
            return node.Deserialize<T>(RequestOptions) is { } value ? (value, null) : (null, Problems.Invalid("body", "A JSON object is required.", title));
        }
        catch (JsonException ex)
        {
            return (null, Problems.Invalid(FieldOf(ex.Path), "The value is not valid JSON of the expected type.", title));
        }
    }

    // "$.includeSubunits" -> "includeSubunits"; the whole body when the path names no field.
    private static string FieldOf(string? path) =>
        path is { Length: > 2 } p && p.StartsWith("$.", StringComparison.Ordinal) ? p[2..].Split('.', '[')[0] : "body";
}
