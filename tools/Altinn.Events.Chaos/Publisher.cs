using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Altinn.Events.Chaos;

/// <summary>
/// Publishes the run's events through the API with a fixed number of concurrent requests, as a real publisher would
/// while things break: a request that failed (any status but 200, a refused connection, a timeout) is sent again
/// after a short wait (the <c>Retry-After</c> of a 503, at most 5 s) until it is acknowledged or
/// <paramref name="giveUpAfter"/> has passed since its first attempt. Every answer is counted by status code.
/// </summary>
internal sealed class Publisher(ChaosSettings settings, HttpClient client, string apiUrl, string token, string prefix, TimeSpan giveUpAfter, TimeProvider time, long origin)
{
    public const string Resource = "urn:altinn:resource:ttd-events-test";

    private readonly ConcurrentDictionary<string, long> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _acknowledged = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<string> _gaveUp = [];
    private long _retryAfter503;
    private long _attempts;
    private int _next;
    private long _start;

    /// <summary>Acknowledged event ids and when their first attempt started, on the run's clock.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Acknowledged => _acknowledged;

    /// <summary>Event ids never acknowledged within the give-up time.</summary>
    public IReadOnlyCollection<string> GaveUp => _gaveUp;

    /// <summary>Answers by status code ("200", "503", ...) and by failure ("connection refused/reset", "timeout").</summary>
    public IReadOnlyDictionary<string, long> Answers => _answers;

    public long RetryAfter503 => Interlocked.Read(ref _retryAfter503);

    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>The share of the events settled (acknowledged or given up), for the kill schedule.</summary>
    public double Progress => (double)(_acknowledged.Count + _gaveUp.Count) / settings.Events;

    public string EventId(int index) => prefix + index.ToString(CultureInfo.InvariantCulture);

    public Task RunAsync(CancellationToken cancellationToken)
    {
        _start = time.GetTimestamp();
        return Task.WhenAll(Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(() => WorkerAsync(cancellationToken), cancellationToken)));
    }

    private async Task WorkerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var index = Interlocked.Increment(ref _next) - 1;
            if (index >= settings.Events)
            {
                return;
            }

            if (settings.Rate > 0)
            {
                var due = TimeSpan.FromSeconds(index / settings.Rate) - time.GetElapsedTime(_start);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, time, cancellationToken);
                }
            }

            await PublishAsync(EventId(index), cancellationToken);
        }
    }

    private async Task PublishAsync(string id, CancellationToken cancellationToken)
    {
        var first = time.GetElapsedTime(origin);
        var body = EventJson(id);
        for (var attempt = 1; ; attempt++)
        {
            Interlocked.Increment(ref _attempts);
            TimeSpan? retryAfter = null;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, apiUrl + "/events") { Content = new StringContent(body, Encoding.UTF8) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await client.SendAsync(request, cancellationToken);
                Count(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    _acknowledged.TryAdd(id, first);
                    return;
                }

                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is { } header)
                {
                    Interlocked.Increment(ref _retryAfter503);
                    retryAfter = header.Delta ?? (header.Date is { } date ? date - time.GetUtcNow() : null);
                }
            }
            catch (HttpRequestException ex)
            {
                Count("connection error (" + (ex.HttpRequestError == HttpRequestError.Unknown ? ex.GetType().Name : ex.HttpRequestError.ToString()) + ")");
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Count("timeout");
            }

            if (time.GetElapsedTime(origin) - first > giveUpAfter)
            {
                _gaveUp.Add(id);
                return;
            }

            var wait = retryAfter is { } r && r > TimeSpan.Zero
                ? TimeSpan.FromTicks(Math.Min(r.Ticks, TimeSpan.FromSeconds(5).Ticks))
                : TimeSpan.FromMilliseconds(Math.Min(2000, 100 * attempt));
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    private void Count(string answer) => _answers.AddOrUpdate(answer, 1, (_, n) => n + 1);

    /// <summary>A CloudEvent of about 400 bytes about party 50001 on the test resource that ttd may publish to.</summary>
    private static string EventJson(string id) =>
        "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"https://chaos.example.com/orders/4711\",\"type\":\"chaos.order.created\","
        + "\"resource\":\"" + Resource + "\",\"subject\":\"/party/50001\",\"time\":\"2026-01-01T12:00:00Z\",\"datacontenttype\":\"application/json\","
        + "\"data\":{\"orderId\":4711,\"lines\":3,\"total\":\"1234.50\",\"currency\":\"NOK\",\"note\":\"chaos payload to make the event about the size of a real one\"}}";
}
