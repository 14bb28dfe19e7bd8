using Altinn.Events.Client.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Client.AspNetCore;

/// <summary>Registers and maps the Altinn Events webhook receiver.</summary>
public static class EventsWebhookEndpointExtensions
{
    /// <summary>
    /// Registers what <see cref="MapEventsWebhook"/> needs: the options, a <see cref="WebhookSecrets"/> singleton seeded from
    /// <see cref="EventsWebhookOptions.Secrets"/>, an <see cref="InMemoryWebhookDuplicateStore"/> (unless an
    /// <see cref="IWebhookDuplicateStore"/> is registered) and <see cref="TimeProvider.System"/> (unless one is).
    /// </summary>
    public static IServiceCollection AddEventsWebhooks(this IServiceCollection services, Action<EventsWebhookOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<EventsWebhookOptions>()
            .Validate(o => o.TimestampTolerance > TimeSpan.Zero, "EventsWebhookOptions.TimestampTolerance must be positive.")
            .Validate(o => o.MaxBodyBytes > 0, "EventsWebhookOptions.MaxBodyBytes must be positive.")
            .Validate(o => o.AllowedRate is null or > 0, "EventsWebhookOptions.AllowedRate must be positive (or null for no limit).");
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IWebhookDuplicateStore>(sp => new InMemoryWebhookDuplicateStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp =>
        {
            var secrets = new WebhookSecrets();
            secrets.Set(sp.GetRequiredService<IOptions<EventsWebhookOptions>>().Value.Secrets);
            return secrets;
        });
        return services;
    }

    /// <summary>
    /// Maps <c>POST {pattern}</c> as an Altinn Events webhook endpoint. Each request is checked before anything else: the
    /// Standard Webhooks signature against the <see cref="WebhookSecrets"/> in constant time and the timestamp against the
    /// tolerance (401 otherwise). Then the body is read as CloudEvents in any push content mode (structured, binary with
    /// <c>ce-</c> headers, or batched as <c>application/cloudevents-batch+json</c>; 400 or 415 otherwise). The validation
    /// event (<c>platform.events.validatesubscription</c>) is answered 200 without reaching the handler. Other pushes are
    /// handed to <paramref name="handler"/> once per <c>webhook-id</c> (a duplicate is answered 200 without it; one still
    /// in progress 409, so the service tries again later); when the handler throws, the answer is 500 and the push is
    /// handed over again when the service retries it. A batched push is one <c>webhook-id</c>: its events are handed over
    /// in order (<see cref="EventsWebhookContext.Index"/> of <see cref="EventsWebhookContext.Count"/>), and a throw fails
    /// the whole batch.
    /// <para>
    /// <c>OPTIONS {pattern}</c> answers the CloudEvents webhook handshake (subscriptions with validationMethod
    /// <c>options</c>): a <c>WebHook-Request-Origin</c> that <see cref="EventsWebhookOptions.AllowedOrigins"/> allows (any,
    /// when empty) gets 200 with <c>WebHook-Allowed-Origin</c> naming it and <c>WebHook-Allowed-Rate</c>
    /// (<see cref="EventsWebhookOptions.AllowedRate"/>, or <c>*</c>); another origin gets 403, and a request without one 400.
    /// </para>
    /// </summary>
    public static IEndpointConventionBuilder MapEventsWebhook(this IEndpointRouteBuilder endpoints, string pattern, EventsWebhookHandler handler)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(handler);
        return endpoints.MapMethods(
                pattern,
                [HttpMethods.Post, HttpMethods.Options],
                (Func<HttpContext, Task<IResult>>)(context => HttpMethods.IsOptions(context.Request.Method)
                    ? Task.FromResult(EventsWebhookReceiver.Handshake(context))
                    : EventsWebhookReceiver.ReceiveAsync(context, handler)))
            .WithName("AltinnEventsWebhook:" + pattern)
            .WithSummary("Receives Altinn Events pushes (Standard Webhooks signed CloudEvents)")
            .DisableAntiforgery()
            .ExcludeFromDescription();
    }
}
