using System.Text.Json;
using System.Runtime.InteropServices;
using Altinn.Events.Api.Endpoints;
using Altinn.Events.Api.Limits;
using Altinn.Events.Api.Identity;
using Altinn.Events.Core.Events;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Api.Publishing;

internal static class PublishEndpoints
{
    public const string CloudEventsJson = "application/cloudevents+json";
    public const string CloudEventsBatchJson = "application/cloudevents-batch+json";

    public static IEndpointRouteBuilder MapPublishing(this IEndpointRouteBuilder api)
    {
        api.MapPost("/events", PublishAsync)
            .RequireAuthorization(AuthorizationPolicies.Publish)
            .WithName("PublishEvents")
            .WithTags("Publish")
            .WithSummary("Publishes a CloudEvent, or a batch of them")
            .WithDescription("application/cloudevents+json: one event. application/cloudevents-batch+json: an array stored all or none. Binary content mode (CloudEvents HTTP binding): the attributes as ce- headers (percent-encoded UTF-8, ce-specversion among them, the resource as ce-resource), the data as the body in any Content-Type (its datacontenttype); checked and stored as the structured event it stands for. An event is identified by its publisher (the caller), resource, source and id: re-publishing one already stored with the same content succeeds and stores nothing new; with other content it is refused with 409 (and nothing of the request is stored). Another publisher's event with the same source and id is a different event.")
            .Accepts<JsonElement>(CloudEventsJson, CloudEventsBatchJson, "*/*")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .WithRateLimit(RateLimitPolicies.Publish);

        api.MapPost("/app", PublishAppEventAsync)
            .RequireAuthorization(AuthorizationPolicies.App)
            .WithName("PublishAppEvent")
            .WithTags("Publish")
            .WithSummary("Publishes an event from an app in Altinn Apps")
            .WithDescription("The service sets id, time, resource (urn:altinn:resource:app_{org}_{app}) and resourceinstance ({partyId}/{instanceGuid}). The source must be one of the calling app's instances. Binary content mode (ce- headers, the data as the body) is accepted as on POST /events.")
            .Accepts<JsonElement>(CloudEventsJson, "application/json", "*/*")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden) // the App policy
            .WithRateLimit(RateLimitPolicies.Publish);
        return api;
    }

    private static async Task<Results<Ok, ValidationProblem, JsonBodyProblem, ProblemResult<Forbidden403>, ProblemResult<Conflict409>, ProblemResult<ServiceUnavailable503>>> PublishAsync([AsParameters] PublishRequest request)
    {
        var (context, publisher, admission, options, cancellationToken) = request;
        var limits = options.Value;
        var mediaType = MediaType(context.Request);
        var batch = mediaType == CloudEventsBatchJson;
        var binary = IsBinaryMode(context.Request, mediaType);
        if (!batch && !binary && mediaType != CloudEventsJson)
        {
            return new JsonBodyProblem(Problems.UnsupportedMediaType($"Send one event as {CloudEventsJson}, a batch as {CloudEventsBatchJson}, or one event in binary mode (its attributes as ce- headers, ce-specversion among them; the data as the body)."));
        }

        var maxBytes = batch ? limits.MaxEventBytes * limits.MaxBatchSize : limits.MaxEventBytes;
        var tooLarge = batch
            ? $"A batch may hold at most {limits.MaxBatchSize} events of {limits.MaxEventBytes} bytes each."
            : $"An event may be at most {limits.MaxEventBytes} bytes.";
        if (context.Request.ContentLength > maxBytes)
        {
            return new JsonBodyProblem(Problems.TooLarge(tooLarge));
        }

        using var reservation = admission.TryEnter(context.Request.ContentLength ?? maxBytes);
        if (reservation is null)
        {
            return Busy(context);
        }

        var (document, readProblem) = await ReadDocumentAsync(context.Request, binary, maxBytes, tooLarge, limits.MaxEventBytes, cancellationToken);
        if (document is null)
        {
            return readProblem!;
        }

        using var disposeDocument = document;

        var elements = new List<(JsonElement Element, string Prefix)>();
        if (batch)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return Invalid("body", "A batch must be a JSON array of CloudEvents.");
            }

            var count = document.RootElement.GetArrayLength();
            if (count == 0 || count > limits.MaxBatchSize)
            {
                return Invalid("body", $"A batch must hold between 1 and {limits.MaxBatchSize} events; it holds {count}.");
            }

            var index = 0;
            var oversized = new List<int>();
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (JsonMarshal.GetRawUtf8Value(element).Length > limits.MaxEventBytes)
                {
                    oversized.Add(index);
                }

                elements.Add((element, $"[{index++}]."));
            }

            if (oversized.Count > 0)
            {
                return new JsonBodyProblem(Problems.TooLarge($"Entries {string.Join(", ", oversized)} exceed {limits.MaxEventBytes} bytes."));
            }
        }
        else
        {
            elements.Add((document.RootElement, string.Empty));
        }

        var caller = context.RequireCaller();
        return await publisher.PublishAsync(caller, elements, reservation, cancellationToken) switch
        {
            PublishResult.Invalid invalid => Invalid(invalid.Errors),
            PublishResult.Denied denied => Problems.Forbidden($"{caller.Consumer} may not publish events for {string.Join(", ", denied.Resources)}."),
            PublishResult.Conflict conflict => Problems.Conflict(
                $"{(batch ? "Events" : "The event")} {string.Join(", ", conflict.Events.Select(e => (batch ? $"[{e.Index}] " : string.Empty) + $"(id '{e.Id}', source '{e.Source}')"))} {(conflict.Events.Count > 1 ? "were" : "was")} published before by {caller.Consumer} to the same resource (or earlier in this batch) with other content. " +
                "An event's id and source name one event: publish changed content under a new id. Nothing of this request was stored.",
                "Re-published with other content"),
            PublishResult.Published => TypedResults.Ok(),
            var other => throw new InvalidOperationException($"Unhandled result {other}."),
        };
    }

    private static async Task<Results<Created<string>, ValidationProblem, JsonBodyProblem, ProblemResult<ServiceUnavailable503>>> PublishAppEventAsync([AsParameters] PublishRequest request)
    {
        var (context, publisher, admission, options, cancellationToken) = request;
        var limits = options.Value;
        var mediaType = MediaType(context.Request);
        var binary = IsBinaryMode(context.Request, mediaType);
        if (!binary && mediaType is not (CloudEventsJson or "application/json"))
        {
            return new JsonBodyProblem(Problems.UnsupportedMediaType($"Send the event as {CloudEventsJson}, or in binary mode (its attributes as ce- headers, ce-specversion among them; the data as the body)."));
        }

        if (context.Request.ContentLength > limits.MaxEventBytes)
        {
            return new JsonBodyProblem(Problems.TooLarge($"An event may be at most {limits.MaxEventBytes} bytes."));
        }

        using var reservation = admission.TryEnter(context.Request.ContentLength ?? limits.MaxEventBytes);
        if (reservation is null)
        {
            return Busy(context);
        }

        var (document, readProblem) = await ReadDocumentAsync(context.Request, binary, limits.MaxEventBytes, $"An event may be at most {limits.MaxEventBytes} bytes.", limits.MaxEventBytes, cancellationToken);
        if (document is null)
        {
            return readProblem!;
        }

        using var disposeDocument = document;

        return await publisher.PublishAppEventAsync(context.RequireCaller(), document.RootElement, reservation, cancellationToken) switch
        {
            PublishResult.Invalid invalid => Invalid(invalid.Errors),
            PublishResult.Created created => TypedResults.Created((string?)null, created.Id),
            var other => throw new InvalidOperationException($"Unhandled result {other}."),
        };
    }

    /// <summary>What both publish handlers take: the request and the publishing services, bound by the framework.</summary>
    internal sealed record PublishRequest(
        HttpContext Context,
        PublishService Publisher,
        PublishAdmission Admission,
        IOptions<PublishingOptions> Options,
        CancellationToken CancellationToken);

    /// <summary>
    /// The body as one JSON document: read within <paramref name="maxBytes"/> (413 with <paramref name="tooLarge"/> beyond),
    /// a binary-mode event first turned into the structured event it stands for; or the answer instead.
    /// </summary>
    private static async Task<(JsonDocument? Document, JsonBodyProblem? Problem)> ReadDocumentAsync(
        HttpRequest request, bool binary, int maxBytes, string tooLarge, int maxEventBytes, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync(request, maxBytes, cancellationToken);
        if (body is null)
        {
            return (null, new JsonBodyProblem(Problems.TooLarge(tooLarge)));
        }

        if (binary)
        {
            if (FromBinaryMode(request, body.Value, maxEventBytes, out var problem) is not { } structured)
            {
                return (null, problem);
            }

            body = structured;
        }

        var document = JsonBody.Parse(body.Value, out var jsonProblem);
        return document is null ? (null, new JsonBodyProblem(Invalid(jsonProblem!.Field, jsonProblem.Message))) : (document, null);
    }

    /// <summary>
    /// Binary content mode: the request carries <c>ce-specversion</c> and is not in a structured or batched media type
    /// (those win, as the HTTP binding says).
    /// </summary>
    private static bool IsBinaryMode(HttpRequest request, string? mediaType) =>
        mediaType is not (CloudEventsJson or CloudEventsBatchJson) && BinaryModeEvent.IsBinary(request.Headers.Keys);

    /// <summary>
    /// The structured-mode JSON a binary-mode request stands for, checked from then on as if it had been sent so; or the
    /// answer instead: 400 naming the attribute, 413 when the event as stored (binary data in base64) exceeds the limit.
    /// </summary>
    private static byte[]? FromBinaryMode(HttpRequest request, ReadOnlyMemory<byte> body, int maxEventBytes, out JsonBodyProblem? problem)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var headers = request.Headers.Select(h => KeyValuePair.Create(h.Key, (IReadOnlyList<string>)[.. h.Value.OfType<string>()]));
        var structured = BinaryModeEvent.ToStructured(headers, request.ContentType, body, errors);
        if (structured is null)
        {
            problem = new JsonBodyProblem(Invalid(errors));
            return null;
        }

        if (structured.Length > maxEventBytes)
        {
            problem = new JsonBodyProblem(Problems.TooLarge($"An event may be at most {maxEventBytes} bytes as stored (in structured mode, binary data in base64); this one is {structured.Length}."));
            return null;
        }

        problem = null;
        return structured;
    }

    private static string? MediaType(HttpRequest request) =>
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(request.ContentType, out var value) ? value.MediaType.Value?.ToLowerInvariant() : null;

    private static ValidationProblem Invalid(string field, string message) => Invalid(new Dictionary<string, List<string>> { [field] = [message] });

    private static ValidationProblem Invalid(Dictionary<string, List<string>> errors) =>
        Problems.Invalid(errors.Select(e => KeyValuePair.Create(e.Key, e.Value.ToArray())), "The event is not valid.");


    /// <summary>503 with Retry-After: the bytes in flight are at <see cref="PublishingOptions.MaxBytesInFlight"/>; nothing was read or stored.</summary>
    private static ProblemResult<ServiceUnavailable503> Busy(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "1";
        return Problems.Unavailable(
            "The service is taking in as much as it can hold right now (Publishing:MaxBytesInFlight); nothing of this request was stored. Try again after Retry-After seconds.",
            "Too busy");
    }

}
