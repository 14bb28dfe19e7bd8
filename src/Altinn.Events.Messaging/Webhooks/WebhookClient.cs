using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Altinn.Events.Core.Subscriptions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Altinn.Events.Messaging.Webhooks;

/// <summary>The outcome of one webhook request: 2xx, or why not (a status code or a transport error), never an exception.</summary>
/// <param name="Success">Whether the endpoint answered 2xx.</param>
/// <param name="StatusCode">The status code, when a response came.</param>
/// <param name="Error">The transport error, when none came.</param>
/// <param name="RetryAfter">How long the endpoint asked to be left alone (<c>Retry-After</c> on a 429 or 503), when it did.</param>
public sealed record WebhookResult(bool Success, int? StatusCode, string? Error, TimeSpan? RetryAfter = null)
{
    /// <summary>A short reason for the subscription's record: "HTTP 500", "timed out after 00:00:10", ...</summary>
    public string Reason => Error ?? (StatusCode is { } code ? $"HTTP {code}" : "unknown");
}

/// <summary>
/// Posts signed CloudEvents to subscriber endpoints. Used by validation now and by the outbound stage later. The
/// underlying handler never follows redirects, uses no proxy, and checks every address it connects to (see
/// <see cref="WebhookClientExtensions.AddWebhookClient"/>), so a DNS answer that changed since the subscription was
/// accepted (rebinding) cannot reach the internal network.
/// </summary>
public sealed class WebhookClient(IHttpClientFactory clients, TimeProvider time)
{
    public const string HttpClientName = "webhooks";

    /// <summary>POSTs <paramref name="body"/> signed with <paramref name="secret"/> under the Standard Webhooks <paramref name="messageId"/>.</summary>
    public async Task<WebhookResult> PostAsync(Uri endPoint, string body, string contentType, string secret, string messageId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endPoint)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(contentType) { CharSet = "utf-8" }),
        };
        foreach (var (name, value) in WebhookSignature.Headers(secret, messageId, time.GetUtcNow(), body))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            var code = (int)response.StatusCode;
            return new WebhookResult(code is >= 200 and <= 299, code, null, code is 429 or 503 ? RetryAfter(response) : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookResult(false, null, $"timed out after {timeout}");
        }
        catch (HttpRequestException ex)
        {
            return new WebhookResult(false, null, Describe(ex));
        }
    }

    // Retry-After is either seconds or an HTTP date; a date in the past means no wait.
    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }

    private static string Describe(HttpRequestException ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case BlockedAddressException blocked:
                    return blocked.Message;
                case SocketException socket:
                    return $"connection failed: {socket.SocketErrorCode}";
            }
        }

        return ex.HttpRequestError != HttpRequestError.Unknown ? $"request failed: {ex.HttpRequestError}" : "request failed";
    }
}

/// <summary>The endpoint's host resolved to an address webhooks may not reach.</summary>
public sealed class BlockedAddressException(string message) : IOException(message);

/// <summary>Real DNS; IP literals resolve to themselves.</summary>
internal sealed class DnsHostAddressResolver : IHostAddressResolver
{
    public async Task<IReadOnlyList<IPAddress>> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
}

public static class WebhookClientExtensions
{
    /// <summary>
    /// The <see cref="WebhookClient"/>, its HttpClient (<c>webhooks</c>) and the <see cref="IHostAddressResolver"/>;
    /// reads <c>Subscriptions:AllowHttpLoopback</c>. Shared by the API, the validation stage and the outbound stage.
    /// </summary>
    public static IServiceCollection AddWebhookClient(this IServiceCollection services)
    {
        services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHostAddressResolver, DnsHostAddressResolver>();
        services.TryAddSingleton<WebhookClient>();
        services.AddHttpClient(WebhookClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var resolver = sp.GetRequiredService<IHostAddressResolver>();
                var allowLoopback = sp.GetRequiredService<IOptions<SubscriptionOptions>>().Value.AllowHttpLoopback;
                var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<WebhookClient>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = (context, cancellationToken) => ConnectAsync(context, resolver, allowLoopback, logger, cancellationToken),
                };
            });
        return services;
    }

    /// <summary>Resolves the host and connects only when every address it resolves to is one webhooks may reach.</summary>
    internal static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, IHostAddressResolver resolver, bool allowLoopback, ILogger logger, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = await resolver.ResolveAsync(host, cancellationToken);
        var blocked = addresses.FirstOrDefault(a => !AddressClassifier.IsAllowed(a, allowLoopback));
        if (blocked is not null || addresses.Count == 0)
        {
            var kind = blocked is null ? "no" : AddressClassifier.Classify(blocked).ToString();
            Log.WebhookAddressBlocked(logger, host, kind);
            throw new BlockedAddressException($"blocked: {host} resolves to a {kind} address");
        }

#pragma warning disable CA2000 // disposed on failure below; on success the returned stream owns it
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
#pragma warning restore CA2000
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync([.. addresses], context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
