using System.Buffers;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace Altinn.Events.Api.Publishing;

/// <summary>Reads a request body within a size limit and turns JSON into CloudEvents with the SDK's formatter.</summary>
internal static class CloudEventReader
{
    public static readonly JsonEventFormatter Formatter = new();

    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit)
        {
            return null;
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

    /// <summary>Parses JSON; the error says why it is not JSON.</summary>
    public static JsonDocument? ParseJson(ReadOnlyMemory<byte> body, out string? error)
    {
        try
        {
            error = null;
            return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return null;
        }
    }

    /// <summary>Decodes one validated event object with the SDK; the error carries the SDK's reason.</summary>
    public static CloudEvent? Decode(JsonElement element, out string? error)
    {
        try
        {
            error = null;
            var bytes = JsonSerializer.SerializeToUtf8Bytes(element);
            return Formatter.DecodeStructuredModeMessage(bytes, new System.Net.Mime.ContentType("application/cloudevents+json"), extensionAttributes: null);
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or FormatException)
        {
            error = ex.Message;
            return null;
        }
    }

    /// <summary>The event as structured-mode JSON, as it is stored and returned.</summary>
    public static string Encode(CloudEvent cloudEvent) =>
        System.Text.Encoding.UTF8.GetString(Formatter.EncodeStructuredModeMessage(cloudEvent, out _).Span);
}
