using System.Runtime.InteropServices;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.SystemTextJson;

namespace Altinn.Events.Api.Publishing;

/// <summary>Turns checked JSON into CloudEvents with the SDK's formatter, and back.</summary>
internal static class CloudEventReader
{
    public static readonly JsonEventFormatter Formatter = new();

    /// <summary>Decodes one validated event object with the SDK; the error carries the SDK's reason.</summary>
    public static CloudEvent? Decode(JsonElement element, out string? error)
    {
        try
        {
            error = null;
            var bytes = JsonMarshal.GetRawUtf8Value(element).ToArray();
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
