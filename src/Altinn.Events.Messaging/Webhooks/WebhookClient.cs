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
/// <param name="Error">The transport error, when none came: one of <see cref="WebhookErrors"/>, never a raw socket message.</param>
/// <param name="RetryAfter">How long the endpoint asked to be left alone (<c>Retry-After</c> on a 429 or 503), when it did.</param>
public sealed record WebhookResult(bool Success, int? StatusCode, string? Error, TimeSpan? RetryAfter = null)
{
    /// <summary>A short reason for the subscription's record: "HTTP 500", "timeout", "connection refused", ...</summary>
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

        return await SendAsync(request, timeout, cancellationToken);
    }

    /// <summary>
    /// Posts a body of bytes with extra headers (a binary-mode CloudEvent: its <c>ce-</c> headers), signed over the bytes;
    /// <paramref name="contentType"/> null sends none.
    /// </summary>
    public async Task<WebhookResult> PostAsync(
        Uri endPoint, byte[] body, string? contentType, IEnumerable<KeyValuePair<string, string>> headers, string secret, string messageId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endPoint) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        foreach (var (name, value) in headers.Concat(WebhookSignature.Headers(secret, messageId, time.GetUtcNow(), body)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await SendAsync(request, timeout, cancellationToken);
    }

    /// <summary>
    /// Sends the CloudEvents webhook handshake: <c>OPTIONS</c> with <see cref="WebhookHandshake.RequestOriginHeader"/> =
    /// <paramref name="origin"/>. Returns the outcome with the answer's WebHook-Allowed-Origin and WebHook-Allowed-Rate.
    /// </summary>
    public async Task<(WebhookResult Result, string? AllowedOrigin, string? AllowedRate)> OptionsAsync(Uri endPoint, string origin, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, endPoint);
        request.Headers.TryAddWithoutValidation(WebhookHandshake.RequestOriginHeader, origin);
        string? allowedOrigin = null;
        string? allowedRate = null;
        var result = await SendAsync(
            request,
            timeout,
            cancellationToken,
            response =>
            {
                allowedOrigin = response.Headers.TryGetValues(WebhookHandshake.AllowedOriginHeader, out var o) ? string.Join(",", o) : null;
                allowedRate = response.Headers.TryGetValues(WebhookHandshake.AllowedRateHeader, out var r) ? string.Join(",", r) : null;
            });
        return (result, allowedOrigin, allowedRate);
    }

    private async Task<WebhookResult> SendAsync(HttpRequestMessage request, TimeSpan timeout, CancellationToken cancellationToken, Action<HttpResponseMessage>? inspect = null)
    {
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            var client = clients.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            var code = (int)response.StatusCode;
            inspect?.Invoke(response);
            return new WebhookResult(code is >= 200 and <= 299, code, null, code is 429 or 503 ? RetryAfter(response) : null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new WebhookResult(false, null, WebhookErrors.Timeout);
        }
        catch (HttpRequestException ex)
        {
            return new WebhookResult(false, null, WebhookErrors.Classify(ex));
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
}

/// <summary>
/// What a consumer is told when a push or validation got no response: a category, never the socket's own message, so the
/// delivery log does not describe the network behind an endpoint (which addresses answer, which ports are closed, what
/// an internal name resolves to).
/// </summary>
public static class WebhookErrors
{
    public const string Timeout = "timeout";
    public const string Refused = "connection refused";
    public const string Reset = "connection reset";
    public const string Unreachable = "host unreachable";
    public const string ConnectionFailed = "connection failed";
    public const string Dns = "dns lookup failed";
    public const string Tls = "tls handshake failed";
    public const string Blocked = "blocked: the endpoint's address or port is not allowed for webhooks";
    public const string Protocol = "invalid response";
    public const string Other = "request failed";

    /// <summary>The category of a failed request.</summary>
    public static string Classify(Exception exception)
    {
        for (Exception? inner = exception; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case BlockedAddressException:
                    return Blocked;
                case System.Security.Authentication.AuthenticationException:
                    return Tls;
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => Refused,
                        SocketError.TimedOut => Timeout,
                        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown => Reset,
                        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => Unreachable,
                        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => Dns,
                        _ => ConnectionFailed,
                    };
            }
        }

        return exception is HttpRequestException http
            ? http.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => Dns,
                HttpRequestError.SecureConnectionError => Tls,
                HttpRequestError.ConnectionError => ConnectionFailed,
                HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded or HttpRequestError.HttpProtocolError
                    or HttpRequestError.ExtendedConnectNotSupported or HttpRequestError.VersionNegotiationError or HttpRequestError.ConfigurationLimitExceeded => Protocol,
                _ => Other,
            }
            : Other;
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
    /// consumes <see cref="SubscriptionOptions"/> (<c>AllowHttpLoopback</c>, <c>AllowedPorts</c>), which the feature that
    /// uses it binds (<see cref="SubscriptionOptionsExtensions.AddSubscriptionOptions"/>). Shared by the API, the
    /// validation stage and the outbound stage.
    /// </summary>
    public static IServiceCollection AddWebhookClient(this IServiceCollection services)
    {
        // The API's subscriptions and two stages call it: register once (the pattern of every shared registration here:
        // return when the service it owns is already registered).
        if (services.Any(d => d.ServiceType == typeof(WebhookClient)))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IHostAddressResolver, DnsHostAddressResolver>();
        services.TryAddSingleton<WebhookClient>();
        services.AddHttpClient(WebhookClient.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
            {
                var resolver = sp.GetRequiredService<IHostAddressResolver>();
                var subscriptions = sp.GetRequiredService<IOptions<SubscriptionOptions>>().Value;
                var allowLoopback = subscriptions.AllowHttpLoopback;
                var ports = subscriptions.AllowedPorts.ToHashSet();
                var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<WebhookClient>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = false,
                    UseProxy = false,
                    UseCookies = false,
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                    PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                    ConnectCallback = (context, cancellationToken) => ConnectAsync(context, resolver, allowLoopback, ports, logger, cancellationToken),
                };
            });
        return services;
    }

    /// <summary>
    /// Resolves the host and connects only when every address it resolves to is one webhooks may reach, on a port they may
    /// use (<paramref name="ports"/>; empty: any).
    /// </summary>
    internal static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, IHostAddressResolver resolver, bool allowLoopback, IReadOnlySet<int> ports, ILogger logger, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        if (ports.Count > 0 && !ports.Contains(context.DnsEndPoint.Port))
        {
            Log.WebhookPortBlocked(logger, host, context.DnsEndPoint.Port);
            throw new BlockedAddressException($"blocked: port {context.DnsEndPoint.Port} is not allowed");
        }

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
