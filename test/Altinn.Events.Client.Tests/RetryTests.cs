using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using CloudNative.CloudEvents;
using Microsoft.Extensions.DependencyInjection;

namespace Altinn.Events.Client.Tests;

/// <summary>The registered client's resilience pipeline: retries only requests that are safe to repeat, after Retry-After.</summary>
public sealed class RetryTests
{
    private sealed class Scripted(params HttpStatusCode[] statuses) : HttpMessageHandler
    {
        private readonly ConcurrentQueue<HttpStatusCode> _statuses = new(statuses);

        public ConcurrentQueue<(HttpMethod Method, string Path, string? Authorization)> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue((request.Method, request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString()));
            var status = _statuses.TryDequeue(out var s) ? s : HttpStatusCode.OK;
            var response = new HttpResponseMessage(status)
            {
                Content = new StringContent(request.Method == HttpMethod.Get ? "[]" : "\"id-1\"", System.Text.Encoding.UTF8, "application/json"),
            };
            if (status is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(TimeSpan.FromSeconds(1));
            }

            return Task.FromResult(response);
        }
    }

    private static (AltinnEventsClient Client, Scripted Handler) Create(params HttpStatusCode[] statuses)
    {
        var handler = new Scripted(statuses);
        var tokens = 0;
        var services = new ServiceCollection();
        services.AddAltinnEventsClient(o =>
        {
            o.BaseAddress = new Uri("http://events.test/events/api/v1");
            o.TokenProvider = AccessTokens.FromDelegate(_ => ValueTask.FromResult("t" + Interlocked.Increment(ref tokens)));
            o.RetryBaseDelay = TimeSpan.FromMilliseconds(10);
        }).ConfigurePrimaryHttpMessageHandler(() => handler);
        return (services.BuildServiceProvider().GetRequiredService<AltinnEventsClient>(), handler);
    }

    private static CloudEvent Event() => new CloudEvent(AltinnCloudEvents.Extensions)
    {
        Id = "1",
        Source = new Uri("https://example.com/x"),
        Type = "t",
    }.SetResource("urn:altinn:resource:r");

    [Fact]
    public async Task Get_IsRetriedAfterRetryAfter_WithAFreshTokenPerAttempt()
    {
        var (client, handler) = Create(HttpStatusCode.ServiceUnavailable);
        var watch = Stopwatch.StartNew();

        var page = await client.ReadPageAsync(EventQuery.Events("urn:altinn:resource:r"));

        Assert.Empty(page.Events);
        Assert.Equal(2, handler.Requests.Count);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(900), $"retried after {watch.Elapsed}, before Retry-After");
        Assert.Equal(["Bearer t1", "Bearer t2"], handler.Requests.Select(r => r.Authorization));
        Assert.All(handler.Requests, r => Assert.Equal("/events/api/v1/events", r.Path));
    }

    [Fact]
    public async Task PublishToEvents_IsRetried_OnTooManyRequests()
    {
        var (client, handler) = Create(HttpStatusCode.TooManyRequests, HttpStatusCode.BadGateway);

        await client.PublishAsync(Event());

        Assert.Equal(3, handler.Requests.Count);
    }

    [Fact]
    public async Task PublishApp_CreateSubscription_AndDelete_AreNotRetried()
    {
        var (client, handler) = Create(HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable);

        var app = await Assert.ThrowsAsync<AltinnEventsException>(() => client.PublishAppEventAsync(Event()));
        var create = await Assert.ThrowsAsync<AltinnEventsException>(() => client.CreateSubscriptionAsync(new SubscriptionRequest { EndPoint = new Uri("https://x.example/h"), ResourceFilter = "urn:altinn:resource:r" }));
        var delete = await Assert.ThrowsAsync<AltinnEventsException>(() => client.DeleteSubscriptionAsync(Guid.NewGuid()));

        Assert.Equal(3, handler.Requests.Count);
        Assert.All([app, create, delete], e => Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode));
        Assert.Equal(TimeSpan.FromSeconds(1), app.RetryAfter);
    }

    [Fact]
    public async Task ClientErrors_AreNotRetried()
    {
        var (client, handler) = Create(HttpStatusCode.BadRequest);

        var error = await Assert.ThrowsAsync<AltinnEventsException>(() => client.PublishAsync(Event()));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Single(handler.Requests);
    }
}
