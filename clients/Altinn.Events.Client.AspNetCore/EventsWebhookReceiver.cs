using System.Buffers;
using Altinn.Events.Client.Webhooks;
using CloudNative.CloudEvents;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Client.AspNetCore;

/// <summary>One push, from the raw request to the application's handler.</summary>
internal static class EventsWebhookReceiver
{
    private const string RequestOriginHeader = "WebHook-Request-Origin";
    private const string AllowedOriginHeader = "WebHook-Allowed-Origin";
    private const string AllowedRateHeader = "WebHook-Allowed-Rate";

    public static async Task<IResult> ReceiveAsync(HttpContext context, EventsWebhookHandler handler)
    {
        var services = context.RequestServices;
        var options = services.GetService<IOptions<EventsWebhookOptions>>()?.Value
            ?? throw new InvalidOperationException("Call services.AddEventsWebhooks() before MapEventsWebhook.");
        var secrets = services.GetRequiredService<WebhookSecrets>();
        var duplicates = services.GetRequiredService<IWebhookDuplicateStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Altinn.Events.Client.AspNetCore.Webhook");
        var cancellationToken = context.RequestAborted;

        if (context.Request.ContentLength > options.MaxBodyBytes)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"The body may be at most {options.MaxBodyBytes} bytes.");
        }

        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"The body may be at most {options.MaxBodyBytes} bytes.");
        }

        var headers = context.Request.Headers;
        var id = headers[WebhookSignature.IdHeader].ToString();
        var timestamp = headers[WebhookSignature.TimestampHeader].ToString();
        var verification = WebhookSignature.Verify(secrets.Current, id, timestamp, headers[WebhookSignature.SignatureHeader].ToString(), body, time.GetUtcNow(), options.TimestampTolerance);
        if (verification != WebhookVerificationResult.Valid)
        {
            WebhookLog.Rejected(logger, id, verification);
            return Problem(StatusCodes.Status401Unauthorized, $"The push is not verified: {verification}.");
        }

        IReadOnlyList<CloudEvent> events;
        try
        {
            events = CloudEventsHttpBinding.Parse(
                context.Request.ContentType,
                headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString())),
                body);
        }
        catch (FormatException ex)
        {
            WebhookLog.Unreadable(logger, id, ex.Message);
            var isCloudEvent = context.Request.ContentType?.Contains("cloudevents", StringComparison.OrdinalIgnoreCase) == true || CloudEventsHttpBinding.IsBinary(h => headers.TryGetValue(h, out var v) ? v.ToString() : null);
            return Problem(isCloudEvent ? StatusCodes.Status400BadRequest : StatusCodes.Status415UnsupportedMediaType, ex.Message);
        }

        if (events.Count == 1 && events[0].Type == AltinnCloudEvents.ValidationEventType)
        {
            WebhookLog.ValidationAnswered(logger, id);
            return Results.Ok();
        }

        switch (await duplicates.TryReserveAsync(id, cancellationToken).ConfigureAwait(false))
        {
            case DeliveryState.Done:
                WebhookLog.Duplicate(logger, id);
                return Results.Ok();
            case DeliveryState.InProgress:
                return Problem(StatusCodes.Status409Conflict, "This push is being handled; try again later.");
        }

        try
        {
            var sent = DateTimeOffset.FromUnixTimeSeconds(long.Parse(timestamp, System.Globalization.CultureInfo.InvariantCulture));
            for (var i = 0; i < events.Count; i++)
            {
                await handler(events[i], new EventsWebhookContext(id, sent, i, events.Count, context), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            await duplicates.ReleaseAsync(id, CancellationToken.None).ConfigureAwait(false);
            WebhookLog.HandlerFailed(logger, id, ex);
            return Problem(StatusCodes.Status500InternalServerError, "The application could not handle the push; it will be retried.");
        }

        await duplicates.CompleteAsync(id, CancellationToken.None).ConfigureAwait(false);
        WebhookLog.Handled(logger, id, events.Count);
        return Results.Ok();
    }

    /// <summary>The CloudEvents webhook handshake (abuse protection): consent for the origin that asks, when it is allowed.</summary>
    public static IResult Handshake(HttpContext context)
    {
        var options = context.RequestServices.GetService<IOptions<EventsWebhookOptions>>()?.Value
            ?? throw new InvalidOperationException("Call services.AddEventsWebhooks() before MapEventsWebhook.");
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Altinn.Events.Client.AspNetCore.Webhook");
        var origin = context.Request.Headers[RequestOriginHeader].ToString().Trim();
        context.Response.Headers.Allow = "POST, OPTIONS";
        if (origin.Length == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, $"An OPTIONS request to a webhook is the CloudEvents handshake and needs {RequestOriginHeader}.");
        }

        if (options.AllowedOrigins.Count > 0 && !options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            WebhookLog.HandshakeRefused(logger, origin);
            return Problem(StatusCodes.Status403Forbidden, $"Pushes from {origin} are not wanted here.");
        }

        context.Response.Headers[AllowedOriginHeader] = origin;
        context.Response.Headers[AllowedRateHeader] = options.AllowedRate is { } rate ? rate.ToString(System.Globalization.CultureInfo.InvariantCulture) : "*";
        WebhookLog.HandshakeAnswered(logger, origin);
        return Results.Ok();
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (read.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return null;
            }

            if (read.IsCompleted)
            {
                var bytes = read.Buffer.ToArray();
                reader.AdvanceTo(read.Buffer.End);
                return bytes;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    private static IResult Problem(int status, string detail) => Results.Problem(detail, statusCode: status);
}

/// <summary>The receiver's logs; their event ids are in <see cref="LogEventIds"/>.</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(LogEventIds.HandshakeAnswered, LogLevel.Information, "Webhook handshake: pushes from {Origin} allowed")]
    public static partial void HandshakeAnswered(ILogger logger, string origin);

    [LoggerMessage(LogEventIds.HandshakeRefused, LogLevel.Warning, "Webhook handshake: {Origin} is not an allowed origin; refused")]
    public static partial void HandshakeRefused(ILogger logger, string origin);

    [LoggerMessage(LogEventIds.Rejected, LogLevel.Warning, "Webhook {WebhookId} rejected: {Result}")]
    public static partial void Rejected(ILogger logger, string webhookId, WebhookVerificationResult result);

    [LoggerMessage(LogEventIds.Unreadable, LogLevel.Warning, "Webhook {WebhookId} is not a readable CloudEvent: {Reason}")]
    public static partial void Unreadable(ILogger logger, string webhookId, string reason);

    [LoggerMessage(LogEventIds.ValidationAnswered, LogLevel.Information, "Webhook {WebhookId}: validation event answered")]
    public static partial void ValidationAnswered(ILogger logger, string webhookId);

    [LoggerMessage(LogEventIds.Duplicate, LogLevel.Debug, "Webhook {WebhookId} is a duplicate; not handed over again")]
    public static partial void Duplicate(ILogger logger, string webhookId);

    [LoggerMessage(LogEventIds.HandlerFailed, LogLevel.Error, "Webhook {WebhookId}: the handler failed; answering 500 so it is retried")]
    public static partial void HandlerFailed(ILogger logger, string webhookId, Exception exception);

    [LoggerMessage(LogEventIds.Handled, LogLevel.Debug, "Webhook {WebhookId}: {Count} event(s) handled")]
    public static partial void Handled(ILogger logger, string webhookId, int count);
}
