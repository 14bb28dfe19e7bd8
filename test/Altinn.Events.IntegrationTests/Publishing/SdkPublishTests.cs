using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Infrastructure;
using CloudNative.CloudEvents;
using CloudNative.CloudEvents.Http;
using CloudNative.CloudEvents.SystemTextJson;
using Dapper;

namespace Altinn.Events.IntegrationTests.Publishing;

/// <summary>
/// Publishing with the official CloudEvents C# SDK (CloudNative.CloudEvents and its HTTP extensions) in each content mode
/// of the HTTP binding: structured, binary and batched. What is stored is read back with the SDK too.
/// </summary>
public sealed class SdkPublishTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private const string Events = "/events/api/v1/events";
    private const string App = "/events/api/v1/app";
    private static readonly CloudEventAttribute Resource = CloudEventAttribute.CreateExtension("resource", CloudEventAttributeType.String);
    private static readonly JsonEventFormatter Formatter = new();

    [Fact]
    public async Task Sdk_StructuredMode_IsStored()
    {
        var e = NewEvent();
        e.Data = new JsonObject { ["answer"] = 42 };
        e.DataContentType = "application/json";
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, e.ToHttpContent(ContentMode.Structured, Formatter));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await StoredAsync(e.Id!);
        Assert.Equal(42, stored.Json.GetProperty("answer").GetInt32());
    }

    [Fact]
    public async Task Sdk_BinaryMode_JsonData_IsStoredAsTheStructuredEvent_WithExtensionsAndPercentDecodedHeaders()
    {
        var e = NewEvent();
        e.Subject = "/party/50001";
        e["myextension"] = "blåbær 100% \"quoted\"";
        e.Data = new JsonObject { ["answer"] = 42, ["text"] = "æøå" };
        e.DataContentType = "application/json";
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        using var content = e.ToHttpContent(ContentMode.Binary, Formatter);
        Assert.Contains("ce-myextension", content.Headers.Select(h => h.Key));
        Assert.Contains("%", content.Headers.GetValues("ce-myextension").Single(), StringComparison.Ordinal);

        var response = await client.PostAsync(Events, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await StoredAsync(e.Id!);
        Assert.Equal("blåbær 100% \"quoted\"", (string?)stored["myextension"]);
        Assert.Equal(EventBuilder.TestResource, (string?)stored[Resource]);
        Assert.Equal("/party/50001", stored.Subject);
        Assert.Equal("application/json", stored.DataContentType);
        var data = stored.Json;
        Assert.Equal(42, data.GetProperty("answer").GetInt32());
        Assert.Equal("æøå", data.GetProperty("text").GetString());
        Assert.Equal(50001, await PartyOfAsync(e.Id!));
    }

    [Fact]
    public async Task Sdk_BinaryMode_BinaryAndTextData_AreStoredAsDataBase64AndText()
    {
        var bytes = new byte[] { 0, 1, 2, 250, 255 };
        var binary = NewEvent();
        binary.Data = bytes;
        binary.DataContentType = "application/octet-stream";
        var text = NewEvent();
        text.Data = "<order id=\"1\"/>\nline two";
        text.DataContentType = "text/xml";
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var binaryResponse = await client.PostAsync(Events, binary.ToHttpContent(ContentMode.Binary, Formatter));
        var textResponse = await client.PostAsync(Events, text.ToHttpContent(ContentMode.Binary, Formatter));

        Assert.Equal(HttpStatusCode.OK, binaryResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, textResponse.StatusCode);
        Assert.Equal(bytes, Assert.IsType<byte[]>((await StoredAsync(binary.Id!)).Data));
        var storedText = await StoredAsync(text.Id!);
        Assert.Equal("text/xml", storedText.DataContentType);
        Assert.Equal("<order id=\"1\"/>\nline two", Assert.IsType<string>(storedText.Data));
    }

    [Fact]
    public async Task Sdk_BatchMode_StoresEveryEvent()
    {
        var events = Enumerable.Range(0, 3).Select(_ => NewEvent()).ToList();
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var response = await client.PostAsync(Events, events.ToHttpContent(Formatter));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        foreach (var e in events)
        {
            Assert.Equal(e.Type, (await StoredAsync(e.Id!)).Type);
        }
    }

    [Fact]
    public async Task BinaryMode_AndStructuredMode_OfTheSameEvent_AreOneEvent()
    {
        var e = NewEvent();
        e.Data = new JsonObject { ["a"] = 1 };
        e.DataContentType = "application/json";
        using var client = api.Client(TestTokens.ForOrg("ttd"));

        var binary = await client.PostAsync(Events, e.ToHttpContent(ContentMode.Binary, Formatter));
        var structured = await client.PostAsync(Events, e.ToHttpContent(ContentMode.Structured, Formatter));

        Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
        Assert.Equal(HttpStatusCode.OK, structured.StatusCode);
        Assert.Equal(1, await CountAsync(e.Id!));
    }

    public static TheoryData<string, string, string, string> InvalidBinary => new()
    {
        { "source relative", "ce-source", "/just/a/path", "source" },
        { "time not RFC 3339", "ce-time", "yesterday", "time" },
        { "resource not a resource URN", "ce-resource", "urn:foo:bar", "resource" },
        { "bad percent-encoding", "ce-myextension", "100%zz", "myextension" },
        { "not UTF-8 once decoded", "ce-myextension", "%ff%fe", "myextension" },
        { "control character once decoded", "ce-myextension", "a%00b", "myextension" },
        { "data as a header", "ce-data", "x", "data" },
    };

    [Theory]
    [MemberData(nameof(InvalidBinary))]
    public async Task BinaryMode_InvalidAttribute_Returns400NamingIt_AndStoresNothing(string why, string header, string value, string field)
    {
        var id = Guid.NewGuid().ToString();
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        using var request = BinaryRequest(id, "{}", "application/json");
        request.Headers.Remove(header);
        request.Headers.TryAddWithoutValidation(header, value);

        var response = await client.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{why}: {response.StatusCode}");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"{why}: {problem}");
        Assert.Equal(0, await CountAsync(id));
    }

    [Fact]
    public async Task BinaryMode_WithoutARequiredAttribute_OrWithJsonThatIsNot_Returns400()
    {
        var id = Guid.NewGuid().ToString();
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        using var noType = BinaryRequest(id, "{}", "application/json");
        noType.Headers.Remove("ce-type");
        using var notJson = BinaryRequest(id, "{ not json", "application/json");
        using var duplicate = BinaryRequest(id, """{"a":1,"a":2}""", "application/json");

        var missing = await client.SendAsync(noType);
        var broken = await client.SendAsync(notJson);
        var twice = await client.SendAsync(duplicate);

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.True((await missing.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("type", out _));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.True((await broken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("data", out _));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        Assert.Equal(0, await CountAsync(id));
    }

    [Fact]
    public async Task BinaryMode_OverTheSizeLimit_AsStored_Returns413()
    {
        var id = Guid.NewGuid().ToString();
        using var client = api.Client(TestTokens.ForOrg("ttd"));
        // 60 000 bytes fit the 64 KiB limit as a body, but not once base64-encoded in the stored event.
        using var request = BinaryRequest(id, null, "application/octet-stream", new byte[60_000]);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await CountAsync(id));
    }

    [Fact]
    public async Task Sdk_BinaryMode_ToPostApp_IsStoredWithTheAttributesTheServiceSets()
    {
        var e = new CloudEvent
        {
            Id = "ignored",
            Type = "app.instance.created",
            Source = new Uri($"https://ttd.apps.altinn.no/ttd/apps-test/instances/50001/{Guid.NewGuid()}"),
            Subject = "/party/50001",
            DataContentType = "application/json",
            Data = new JsonObject { ["step"] = "Task_1" },
        };
        using var client = api.Client(TestTokens.ForApp("ttd", "apps-test"));

        var response = await client.PostAsync(App, e.ToHttpContent(ContentMode.Binary, Formatter));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = await response.Content.ReadFromJsonAsync<string>();
        var stored = await StoredAsync(id!);
        Assert.Equal("urn:altinn:resource:app_ttd_apps-test", (string?)stored[Resource]);
        Assert.Equal("Task_1", stored.Json.GetProperty("step").GetString());
    }

    private static CloudEvent NewEvent()
    {
        var e = new CloudEvent(CloudEventsSpecVersion.V1_0, [Resource])
        {
            Id = Guid.NewGuid().ToString(),
            Type = "test.created",
            Source = new Uri("https://tests.example/sdk"),
            Time = DateTimeOffset.UtcNow,
        };
        e[Resource] = EventBuilder.TestResource;
        return e;
    }

    private static HttpRequestMessage BinaryRequest(string id, string? json, string contentType, byte[]? bytes = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, Events)
        {
            Content = bytes is null ? new StringContent(json!, Encoding.UTF8) : new ByteArrayContent(bytes),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add("ce-specversion", "1.0");
        request.Headers.Add("ce-id", id);
        request.Headers.Add("ce-type", "test.created");
        request.Headers.Add("ce-source", "https://tests.example/binary");
        request.Headers.Add("ce-resource", EventBuilder.TestResource);
        return request;
    }

    // The stored event, decoded with the SDK as a consumer would.
    private async Task<SdkEvent> StoredAsync(string id)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        var json = await connection.QuerySingleAsync<string>("SELECT cloudevent FROM events WHERE id = @id", new { id });
        return new SdkEvent(Formatter.DecodeStructuredModeMessage(Encoding.UTF8.GetBytes(json), new System.Net.Mime.ContentType("application/cloudevents+json"), [Resource]));
    }

    private async Task<int?> PartyOfAsync(string id)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<int?>("SELECT party_id FROM events WHERE id = @id", new { id });
    }

    private async Task<long> CountAsync(string id)
    {
        await using var connection = await api.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM events WHERE id = @id", new { id });
    }

    private sealed class SdkEvent(CloudEvent e)
    {
        public string? Subject => e.Subject;

        public string? Type => e.Type;

        public string? DataContentType => e.DataContentType;

        public object? Data => e.Data;

        public JsonElement Json => Assert.IsType<JsonElement>(e.Data);

        public object? this[string name] => e[name];

        public object? this[CloudEventAttribute attribute] => e[attribute];
    }
}
