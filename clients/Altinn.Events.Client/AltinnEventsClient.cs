using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization.Metadata;
using Altinn.Events.Client.Http;
using Altinn.Events.Client.Json;
using CloudNative.CloudEvents;

namespace Altinn.Events.Client;

/// <summary>
/// The Altinn Events API: publish CloudEvents, poll them with a resumable cursor, and manage subscriptions. Register it
/// with <c>services.AddAltinnEventsClient(...)</c> (token, retries and timeouts included) or construct it over an
/// <see cref="HttpClient"/> whose <see cref="HttpClient.BaseAddress"/> is the API's base address and which sends the token.
/// Every error answer is thrown as an <see cref="AltinnEventsException"/>.
/// </summary>
public sealed class AltinnEventsClient
{
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    /// <summary>A client over <paramref name="http"/>, which must have the API's base address (ending in <c>/</c>).</summary>
    public AltinnEventsClient(HttpClient http, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.BaseAddress is not { IsAbsoluteUri: true })
        {
            throw new ArgumentException("The HttpClient needs the API's base address, e.g. https://platform.altinn.no/events/api/v1/.", nameof(http));
        }

        _http = http;
        _time = time ?? TimeProvider.System;
    }

    // ---- publish ----

    /// <summary>
    /// Publishes one event to <c>POST /events</c> in structured mode (default) or binary mode (attributes in <c>ce-</c>
    /// headers). The event needs the <c>resource</c> extension (<see cref="AltinnCloudEvents.SetResource"/>). Publishing the
    /// same event again (same resource, source, id and content) is answered as a success and stores nothing new, which is
    /// why this request is retried on transient failures.
    /// </summary>
    /// <exception cref="AltinnEventsException">400 (invalid, with the attributes named), 403, 409 (same key, other content), 413, 415, 429, 503.</exception>
    public async Task PublishAsync(CloudEvent cloudEvent, ContentMode mode = ContentMode.Structured, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        using var request = new HttpRequestMessage(HttpMethod.Post, "events")
        {
            Content = mode == ContentMode.Binary ? CloudEventsHttpBinding.Binary(cloudEvent) : CloudEventsHttpBinding.Structured(cloudEvent),
        };
        request.Options.Set(RetryRules.Idempotent, true);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes up to <c>Publishing:MaxBatchSize</c> (100) events in one request, stored all or none (batch mode). Retried like <see cref="PublishAsync"/>.</summary>
    /// <exception cref="AltinnEventsException">As <see cref="PublishAsync"/>; a 400 names the entries (<c>[3].source</c>).</exception>
    public async Task PublishBatchAsync(IReadOnlyList<CloudEvent> cloudEvents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvents);
        using var request = new HttpRequestMessage(HttpMethod.Post, "events") { Content = CloudEventsHttpBinding.Batch(cloudEvents) };
        request.Options.Set(RetryRules.Idempotent, true);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes an app event to <c>POST /app</c> (with an app's token); the service sets id, time, resource and
    /// resourceinstance, so the event's own <c>id</c> is not used. Returns the id the service gave it. Not retried: each
    /// call stores a new event.
    /// </summary>
    public async Task<string> PublishAppEventAsync(CloudEvent cloudEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cloudEvent);
        cloudEvent.Id ??= Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "app") { Content = CloudEventsHttpBinding.Structured(cloudEvent) };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.String, cancellationToken).ConfigureAwait(false);
    }

    // ---- poll ----

    /// <summary>
    /// Reads one page of <paramref name="query"/>: from <paramref name="cursor"/> (from an earlier page), or from the query's
    /// <c>after</c>/<c>from</c>. The next page's cursor comes from the <c>next</c> header; the client builds that request
    /// on its own base address, so the token is never sent elsewhere.
    /// </summary>
    public async Task<EventPage> ReadPageAsync(EventQuery query, string? cursor = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        using var request = new HttpRequestMessage(HttpMethod.Get, query.RequestUri(cursor));
        query.AddHeaders(request);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var events = AltinnCloudEvents.Formatter.DecodeBatchModeMessage(body, new System.Net.Mime.ContentType(AltinnCloudEvents.BatchContentType), AltinnCloudEvents.Extensions);
        string? next = null;
        if (response.Headers.TryGetValues("next", out var links) && links.FirstOrDefault() is { Length: > 0 } link)
        {
            next = CursorOf(link) ?? throw new InvalidOperationException($"The next link '{link}' has no cursor.");
        }

        return new EventPage(events, next);
    }

    /// <summary>
    /// Every event of <paramref name="query"/>, oldest first, following <c>next</c> at once (also past an empty page that
    /// has one: the service's scan budget ended it) and, once caught up (no <c>next</c>), waiting
    /// <see cref="PollOptions.CaughtUpDelay"/> and polling the same position again, until cancelled (or, with
    /// <see cref="PollOptions.StopWhenCaughtUp"/>, until caught up). With a <see cref="PollOptions.CursorStore"/> it starts
    /// from the stored cursor and stores each page's cursor once the caller has taken every event of the page, so a
    /// restarted consumer resumes there (a crash mid-page gives that page's events again; none is skipped).
    /// </summary>
    public async IAsyncEnumerable<CloudEvent> PollAsync(EventQuery query, PollOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= new PollOptions();
        var key = options.CursorKey ?? query.CursorKey;
        var cursor = options.CursorStore is null ? null : await options.CursorStore.GetAsync(key, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var page = await ReadPageAsync(query, cursor, cancellationToken).ConfigureAwait(false);
            foreach (var cloudEvent in page.Events)
            {
                yield return cloudEvent;
            }

            if (page.NextCursor is { } next)
            {
                cursor = next;
                if (options.CursorStore is not null)
                {
                    await options.CursorStore.SetAsync(key, next, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (options.StopWhenCaughtUp)
            {
                yield break;
            }

            await Task.Delay(options.CaughtUpDelay, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- subscriptions ----

    /// <summary>Creates a subscription (<c>POST /subscriptions</c>). The answer's <see cref="Subscription.Secret"/> is shown only now: keep it to verify pushes.</summary>
    public async Task<Subscription> CreateSubscriptionAsync(SubscriptionRequest subscription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        using var request = new HttpRequestMessage(HttpMethod.Post, "subscriptions") { Content = JsonContent.Create(subscription, ClientJson.Default.SubscriptionRequest) };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.Subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The caller's subscriptions (<c>GET /subscriptions</c>).</summary>
    public async Task<IReadOnlyList<Subscription>> ListSubscriptionsAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "subscriptions");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return (await ReadAsync(response, ClientJson.Default.SubscriptionList, cancellationToken).ConfigureAwait(false)).Subscriptions ?? [];
    }

    /// <summary>One subscription with its validation status and endpoint health; null when there is none with this id (404).</summary>
    public async Task<Subscription?> GetSubscriptionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"subscriptions/{id}");
        using var response = await SendAsync(request, cancellationToken, allowNotFound: true).ConfigureAwait(false);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, ClientJson.Default.Subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Changes a subscription (<c>PATCH /subscriptions/{id}</c>, a JSON merge patch) and returns it as it is now. A merge
    /// patch gives the same result however often it is sent, so a transient failure is retried.
    /// </summary>
    public async Task<Subscription> UpdateSubscriptionAsync(Guid id, SubscriptionUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        using var content = new StringContent(update.ToMergePatch().ToJsonString(), System.Text.Encoding.UTF8, "application/merge-patch+json");
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"subscriptions/{id}") { Content = content };
        request.Options.Set(RetryRules.Idempotent, true);
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.Subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pauses a subscription: its deliveries wait (nothing is dropped) until it is resumed.</summary>
    public Task<Subscription> PauseSubscriptionAsync(Guid id, CancellationToken cancellationToken = default) =>
        UpdateSubscriptionAsync(id, new SubscriptionUpdate { Enabled = false }, cancellationToken);

    /// <summary>Resumes a paused subscription: the deliveries that waited are pushed, oldest first.</summary>
    public Task<Subscription> ResumeSubscriptionAsync(Guid id, CancellationToken cancellationToken = default) =>
        UpdateSubscriptionAsync(id, new SubscriptionUpdate { Enabled = true }, cancellationToken);

    /// <summary>Deletes a subscription; false when there was none with this id (404).</summary>
    public async Task<bool> DeleteSubscriptionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"subscriptions/{id}");
        using var response = await SendAsync(request, cancellationToken, allowNotFound: true).ConfigureAwait(false);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    /// <summary>Gives the subscription a new signing secret and returns it; pushes are signed with it from now on.</summary>
    public async Task<string> RotateSecretAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"subscriptions/{id}/secret");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        var answer = await ReadAsync(response, ClientJson.Default.SecretAnswer, cancellationToken).ConfigureAwait(false);
        return answer.Secret ?? throw new InvalidOperationException("The service answered without a secret.");
    }

    /// <summary>Starts validating the endpoint again (<c>POST /subscriptions/{id}/validate</c>), e.g. after it was fixed or disabled.</summary>
    public async Task<Subscription> ValidateSubscriptionAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"subscriptions/{id}/validate");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.Subscription, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The delivery log (every push attempt), newest first, following the log's <c>next</c> pages until the oldest.</summary>
    public async IAsyncEnumerable<DeliveryAttempt> GetDeliveriesAsync(Guid id, int? pageSize = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var uri = $"subscriptions/{id}/deliveries" + (pageSize is { } size ? $"?size={size}" : string.Empty);
        while (uri is not null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            DeliveryLogPage page;
            using (var response = await SendAsync(request, cancellationToken).ConfigureAwait(false))
            {
                page = await ReadAsync(response, ClientJson.Default.DeliveryLogPage, cancellationToken).ConfigureAwait(false);
            }

            foreach (var attempt in page.Attempts ?? [])
            {
                yield return attempt;
            }

            // The link's query, on this client's own base address (the token goes nowhere else).
            uri = page.Next is { Length: > 0 } next ? $"subscriptions/{id}/deliveries" + new Uri(new Uri(_http.BaseAddress!, "x"), next).Query : null;
        }
    }

    /// <summary>
    /// Queues retained events again as new deliveries (<c>POST /subscriptions/{id}/redeliver</c>). When the answer is not
    /// <see cref="RedeliveryResult.Complete"/>, call again with its <see cref="RedeliveryResult.Cursor"/>, or use
    /// <see cref="RedeliverAllAsync"/>.
    /// </summary>
    public async Task<RedeliveryResult> RedeliverAsync(Guid id, RedeliveryRequest redelivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redelivery);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"subscriptions/{id}/redeliver") { Content = JsonContent.Create(redelivery, ClientJson.Default.RedeliveryRequest) };
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.RedeliveryResult, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Redelivers until complete, following the cursors; returns how many events were queued in all.</summary>
    public async Task<int> RedeliverAllAsync(Guid id, RedeliveryRequest redelivery, CancellationToken cancellationToken = default)
    {
        var queued = 0;
        var result = await RedeliverAsync(id, redelivery, cancellationToken).ConfigureAwait(false);
        queued += result.Queued;
        while (!result.Complete && result.Cursor is { } cursor)
        {
            result = await RedeliverAsync(id, new RedeliveryRequest { Cursor = cursor }, cancellationToken).ConfigureAwait(false);
            queued += result.Queued;
        }

        return queued;
    }

    /// <summary>Who the service takes the caller to be (<c>GET /whoami</c>): a quick check of a token.</summary>
    public async Task<WhoAmI> WhoAmIAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "whoami");
        using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, ClientJson.Default.WhoAmI, cancellationToken).ConfigureAwait(false);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, bool allowNotFound = false)
    {
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode || (allowNotFound && response.StatusCode == HttpStatusCode.NotFound))
        {
            return response;
        }

        using (response)
        {
            throw await AltinnEventsException.FromResponseAsync(response, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync(type, cancellationToken).ConfigureAwait(false)
        ?? throw new InvalidOperationException($"The service answered {(int)response.StatusCode} without a body.");

    private static string? CursorOf(string link)
    {
        var query = Uri.TryCreate(link, UriKind.Absolute, out var absolute) ? absolute.Query : link[(link.IndexOf('?', StringComparison.Ordinal) + 1)..];
        foreach (var pair in query.TrimStart('?').Split('&'))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && pair[..equals] == "cursor")
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
    }
}
