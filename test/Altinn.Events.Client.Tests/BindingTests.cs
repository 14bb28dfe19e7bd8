using System.Text;
using System.Text.Json;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;

namespace Altinn.Events.Client.Tests;

/// <summary>The CloudEvents HTTP binding's content modes as the client writes and the receiver reads them.</summary>
public sealed class BindingTests
{
    private static CloudEvent Sample() => new CloudEvent(AltinnCloudEvents.Extensions)
    {
        Id = "id 1 \"quoted\" 100%",
        Source = new Uri("https://example.com/orders/1"),
        Type = "order.created",
        Subject = "/party/50001",
        Time = new DateTimeOffset(2024, 5, 12, 8, 0, 0, TimeSpan.Zero),
        DataContentType = "application/json",
        Data = JsonSerializer.SerializeToElement(new { total = 42, note = "blåbær" }),
    }.SetResource("urn:altinn:resource:ttd-events-test");

    [Fact]
    public async Task Binary_PutsEveryAttributeInPercentEncodedCeHeaders_AndTheDataInTheBody()
    {
        var cloudEvent = Sample();
        cloudEvent.Subject = "/party/50001 ø€😀";

        using var content = CloudEventsHttpBinding.Binary(cloudEvent);

        string Header(string name) => Assert.Single(content.Headers.GetValues(name));
        Assert.Equal("1.0", Header("ce-specversion"));
        Assert.Equal("id%201%20%22quoted%22%20100%25", Header("ce-id"));
        Assert.Equal("https://example.com/orders/1", Header("ce-source"));
        Assert.Equal("order.created", Header("ce-type"));
        Assert.Equal("urn:altinn:resource:ttd-events-test", Header("ce-resource"));
        Assert.Equal("/party/50001%20%C3%B8%E2%82%AC%F0%9F%98%80", Header("ce-subject"));
        Assert.Equal("2024-05-12T08:00:00Z", Header("ce-time"));
        Assert.False(content.Headers.Contains("ce-datacontenttype"));
        Assert.Equal("application/json", content.Headers.ContentType!.MediaType);
        foreach (var header in content.Headers.Where(h => h.Key.StartsWith("ce-", StringComparison.Ordinal)))
        {
            Assert.All(header.Value.Single(), c => Assert.InRange(c, '!', '~'));
        }

        // The official SDK's decoder reads our encoding back to the original values.
        Assert.Equal(cloudEvent.Id, HttpUtilities.DecodeHeaderValue(Header("ce-id")));
        Assert.Equal(cloudEvent.Subject, HttpUtilities.DecodeHeaderValue(Header("ce-subject")));

        using var body = JsonDocument.Parse(await content.ReadAsStringAsync());
        Assert.Equal(42, body.RootElement.GetProperty("total").GetInt32());
        Assert.Equal("blåbær", body.RootElement.GetProperty("note").GetString());
    }

    [Fact]
    public async Task Binary_RoundTripsThroughParse_AndThroughTheSdk()
    {
        var cloudEvent = Sample();
        using var content = CloudEventsHttpBinding.Binary(cloudEvent);
        var body = await content.ReadAsByteArrayAsync();
        var headers = content.Headers.Select(h => new KeyValuePair<string, string>(h.Key, h.Value.Single())).ToList();

        var parsed = Assert.Single(CloudEventsHttpBinding.Parse(content.Headers.ContentType!.ToString(), headers, body));
        AssertSame(cloudEvent, parsed);

        using var request = new HttpRequestMessage(HttpMethod.Post, "http://x/") { Content = CloudEventsHttpBinding.Binary(cloudEvent) };
        var bySdk = await request.ToCloudEventAsync(AltinnCloudEvents.Formatter, AltinnCloudEvents.Extensions);
        AssertSame(cloudEvent, bySdk);
    }

    [Fact]
    public async Task Binary_TextDataAndNoData()
    {
        var text = new CloudEvent { Id = "t", Source = new Uri("urn:x"), Type = "t", DataContentType = "text/plain", Data = "hei på deg" };
        using var content = CloudEventsHttpBinding.Binary(text);
        Assert.Equal("hei på deg", Encoding.UTF8.GetString(await content.ReadAsByteArrayAsync()));
        Assert.Equal("text/plain", content.Headers.ContentType!.MediaType);

        var empty = new CloudEvent { Id = "n", Source = new Uri("urn:x"), Type = "t" };
        using var none = CloudEventsHttpBinding.Binary(empty);
        Assert.Empty(await none.ReadAsByteArrayAsync());
        Assert.Null(none.Headers.ContentType);
    }

    [Fact]
    public async Task StructuredAndBatch_ParseBack()
    {
        using var structured = CloudEventsHttpBinding.Structured(Sample());
        Assert.Equal(AltinnCloudEvents.StructuredContentType, structured.Headers.ContentType!.MediaType);
        var one = Assert.Single(CloudEventsHttpBinding.Parse(structured.Headers.ContentType.ToString(), [], await structured.ReadAsByteArrayAsync()));
        AssertSame(Sample(), one);

        var second = Sample();
        second.Id = "two";
        using var batch = CloudEventsHttpBinding.Batch([Sample(), second]);
        Assert.Equal(AltinnCloudEvents.BatchContentType, batch.Headers.ContentType!.MediaType);
        var both = CloudEventsHttpBinding.Parse(batch.Headers.ContentType.ToString(), [], await batch.ReadAsByteArrayAsync());
        Assert.Equal(["id 1 \"quoted\" 100%", "two"], both.Select(e => e.Id));
    }

    [Theory]
    [InlineData("application/json", "{}")]
    [InlineData(null, "")]
    [InlineData("application/cloudevents+json", "{\"specversion\":\"1.0\"}")]
    [InlineData("application/cloudevents+json", "not json")]
    public void Parse_NotACloudEvent_IsAFormatException(string? contentType, string body) =>
        Assert.Throws<FormatException>(() => CloudEventsHttpBinding.Parse(contentType, [], Encoding.UTF8.GetBytes(body)));

    [Fact]
    public void DecodeHeaderValue_RejectsBrokenEscapes()
    {
        Assert.Equal("a b", CloudEventsHttpBinding.DecodeHeaderValue("a%20b"));
        Assert.Throws<FormatException>(() => CloudEventsHttpBinding.DecodeHeaderValue("a%2"));
        Assert.Throws<FormatException>(() => CloudEventsHttpBinding.DecodeHeaderValue("a%zz"));
        Assert.Throws<FormatException>(() => CloudEventsHttpBinding.DecodeHeaderValue("%C3"));
    }

    private static void AssertSame(CloudEvent expected, CloudEvent actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Subject, actual.Subject);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(expected.GetResource(), actual.GetResource());
        Assert.Equal("application/json", actual.DataContentType);
        Assert.Equal(42, ((JsonElement)actual.Data!).GetProperty("total").GetInt32());
    }
}
