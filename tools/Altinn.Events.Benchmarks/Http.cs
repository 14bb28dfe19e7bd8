using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Altinn.Events.Benchmarks;

/// <summary>The load generator's HTTP side: one pooled client with many connections, and the benchmark's event JSON.</summary>
internal static class Http
{
    public const string TestResource = "urn:altinn:resource:ttd-events-test";

    // The client owns the handler (disposeHandler: true) and the caller disposes the client.
#pragma warning disable CA2000
    public static HttpClient CreateClient(int connections) => new(
        new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
        },
        disposeHandler: true)
    {
        Timeout = TimeSpan.FromSeconds(60),
    };
#pragma warning restore CA2000

    /// <summary>The CloudEvent every publish scenario sends (about 400 bytes), with a fresh id.</summary>
    /// <summary>The type of the events the healthy subscribers get; S7's dead subscriber gets <see cref="DeadType"/> only.</summary>
    public const string EventType = "bench.order.created";

    public const string DeadType = "bench.order.lost";

    public static string EventJson(string id, string type = EventType) =>
        "{\"specversion\":\"1.0\",\"id\":\"" + id + "\",\"source\":\"https://bench.example.com/orders/4711\",\"type\":\"" + type + "\","
        + "\"resource\":\"" + TestResource + "\",\"subject\":\"/party/50001\",\"time\":\"2026-01-01T12:00:00Z\",\"datacontenttype\":\"application/json\","
        + "\"data\":{\"orderId\":4711,\"lines\":3,\"total\":\"1234.50\",\"currency\":\"NOK\",\"note\":\"benchmark payload to make the event about the size of a real one\"}}";

    public static HttpRequestMessage Publish(string apiUrl, string token, string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, apiUrl + "/events")
        {
            Content = new StringContent(EventJson(id), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static HttpRequestMessage PublishBatch(string apiUrl, string token, IEnumerable<string> ids, string type = EventType)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, apiUrl + "/events")
        {
            Content = new StringContent("[" + string.Join(',', ids.Select(id => EventJson(id, type))) + "]", Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/cloudevents-batch+json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static HttpRequestMessage Get(string url, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    /// <summary>A free loopback port: bind to port 0 and ask which one the kernel gave.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
