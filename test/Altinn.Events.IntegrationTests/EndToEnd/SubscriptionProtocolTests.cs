using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Altinn.Events.IntegrationTests.Authorization;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.IntegrationTests.Subscriptions;
using Dapper;

namespace Altinn.Events.IntegrationTests.EndToEnd;

/// <summary>
/// The subscription API clients expect, through the whole service (API, every stage, a real receiver): PATCH, pause and
/// resume, type filter lists and wildcards, and each CloudEvents Subscriptions API filter dialect.
/// </summary>
public sealed class SubscriptionProtocolTests(SubscriptionProtocolTests.ProtocolFixture fixture) : IClassFixture<SubscriptionProtocolTests.ProtocolFixture>
{
    private const string Path = "/events/api/v1/subscriptions";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Patch_TypeFilterAndEndpoint_ValidatesTheNewEndpoint_AndPushesThereWithTheNewFilter()
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var (location, _) = await SubscribeAsync(organisation, new JsonObject { ["typeFilter"] = "test.created" });
        var moved = fixture.Receiver.Endpoint();

        var patched = await organisation.PatchAsync(location, JsonContent.Create(new JsonObject { ["endPoint"] = moved, ["typeFilter"] = new JsonArray("test.changed", "test.other.*") }));

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await patched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(moved, body.GetProperty("endPoint").GetString());
        Assert.Equal("pending", body.GetProperty("validationStatus").GetString());
        Assert.Equal(["test.changed", "test.other.*"], body.GetProperty("typeFilter").EnumerateArray().Select(e => e.GetString()!));
        await ValidatedAsync(organisation, location);
        Assert.Contains(fixture.Receiver.RequestsTo(moved), r => r.Body.Contains("platform.events.validatesubscription", StringComparison.Ordinal));

        var created = await PublishAsync(EventBuilder.Generic().With("type", "test.created"));
        var changed = await PublishAsync(EventBuilder.Generic().With("type", "test.changed"));
        var other = await PublishAsync(EventBuilder.Generic().With("type", "test.other.deep.thing"));
        Assert.True(await EventuallyReceivedAsync(moved, changed, other));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(Pushes(moved, created));
    }

    [Fact]
    public async Task Patch_ByAnotherConsumer_Is403_AnImmutableFilter_Is400_AndABadValue_Is400NamingIt()
    {
        using var owner = fixture.Api(TestTokens.ForOrganisation("991825827"));
        using var other = fixture.Api(TestTokens.ForOrg("ttd"));
        var (location, _) = await SubscribeAsync(owner, []);

        var notOwner = await other.PatchAsync(location, JsonContent.Create(new JsonObject { ["enabled"] = false }));
        var immutable = await owner.PatchAsync(location, JsonContent.Create(new JsonObject { ["resourceFilter"] = "urn:altinn:resource:other" }));
        var badType = await owner.PatchAsync(location, JsonContent.Create(new JsonObject { ["typeFilter"] = "a.*.b" }));
        var badFilter = await owner.PatchAsync(location, JsonContent.Create(new JsonObject { ["filters"] = new JsonArray(new JsonObject { ["sql"] = "x" }) }));
        var badMode = await owner.PatchAsync(location, JsonContent.Create(new JsonObject { ["contentMode"] = "smoke-signals" }));
        var missing = await owner.PatchAsync($"{Path}/{Guid.NewGuid()}", JsonContent.Create(new JsonObject { ["enabled"] = false }));

        Assert.Equal(HttpStatusCode.Forbidden, notOwner.StatusCode);
        await AssertInvalidAsync(immutable, "resourceFilter");
        await AssertInvalidAsync(badType, "typeFilter");
        await AssertInvalidAsync(badFilter, "filters[0].sql");
        await AssertInvalidAsync(badMode, "contentMode");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var unchanged = await owner.GetFromJsonAsync<JsonElement>(location);
        Assert.True(unchanged.GetProperty("enabled").GetBoolean());
        Assert.False(unchanged.TryGetProperty("typeFilter", out _));
    }

    [Fact]
    public async Task Paused_DeliveriesWait_Resumed_TheyArePushedOldestFirst()
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var tag = Guid.NewGuid().ToString("N");
        var (location, endpoint) = await SubscribeAsync(organisation, new JsonObject { ["filters"] = new JsonArray(new JsonObject { ["exact"] = new JsonObject { ["runtag"] = tag } }) });

        var paused = await organisation.PatchAsync(location, JsonContent.Create(new JsonObject { ["enabled"] = false }));
        Assert.Equal(HttpStatusCode.OK, paused.StatusCode);
        Assert.False((await paused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("enabled").GetBoolean());
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await PublishAsync(EventBuilder.Generic().With("runtag", tag)));
        }

        var id = Guid.Parse(location.Split('/')[^1]);
        Assert.True(await TestQueues.EventuallyAsync(async () => await StatusCountAsync(id, "paused") == 4, Patience), "the deliveries were not paused");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Empty(ids.SelectMany(e => Pushes(endpoint, e)));

        var resumed = await organisation.PatchAsync(location, JsonContent.Create(new JsonObject { ["enabled"] = true }));

        Assert.Equal(HttpStatusCode.OK, resumed.StatusCode);
        Assert.True(await EventuallyReceivedAsync(endpoint, [.. ids]), "the waiting deliveries were not pushed after resuming");
        var order = fixture.Receiver.RequestsTo(endpoint).Select(r => ids.FindIndex(e => r.Body.Contains(e, StringComparison.Ordinal))).Where(i => i >= 0).ToList();
        Assert.Equal([0, 1, 2, 3], order);

        // The receiver has the last push a moment before the pusher records its outcome.
        Assert.True(await TestQueues.EventuallyAsync(async () => await StatusCountAsync(id, "delivered") == 4, Patience), "the pushed deliveries were not recorded as delivered");
    }

    [Fact]
    public async Task BinaryContentMode_PushesCeHeadersAndTheDataAsTheBody_WhichTheSdkReads_AndTheSignatureCoversTheBody()
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var tag = Guid.NewGuid().ToString("N");
        var created = await organisation.PostAsync(Path, JsonContent.Create(new JsonObject
        {
            ["endPoint"] = fixture.Receiver.Endpoint(),
            ["resourceFilter"] = EventBuilder.TestResource,
            ["contentMode"] = "binary",
            ["filters"] = new JsonArray(new JsonObject { ["exact"] = new JsonObject { ["runtag"] = tag } }),
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var subscription = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("binary", subscription.GetProperty("contentMode").GetString());
        var endpoint = subscription.GetProperty("endPoint").GetString()!;
        await ValidatedAsync(organisation, created.Headers.Location!.AbsolutePath);

        var id = await PublishAsync(EventBuilder.Generic().With("runtag", tag).With("note", "blåbær 100%").With("datacontenttype", "application/json").With("data", new JsonObject { ["answer"] = 42 }));

        Assert.True(await TestQueues.EventuallyAsync(() => Task.FromResult(fixture.Receiver.RequestsTo(endpoint).Any(r => r.Headers.TryGetValue("ce-id", out var v) && v == id)), Patience), "the event was not pushed");
        var push = fixture.Receiver.RequestsTo(endpoint).Single(r => r.Headers.TryGetValue("ce-id", out var v) && v == id);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(push.Body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(push.Headers["Content-Type"]);
        foreach (var (name, value) in push.Headers.Where(h => h.Key.StartsWith("ce-", StringComparison.OrdinalIgnoreCase)))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        var decoded = await CloudNative.CloudEvents.Http.HttpClientExtensions.ToCloudEventAsync(request, new CloudNative.CloudEvents.SystemTextJson.JsonEventFormatter());
        Assert.Equal(id, decoded.Id);
        Assert.Equal("blåbær 100%", (string?)decoded["note"]);
        Assert.Equal(EventBuilder.TestResource, (string?)decoded["resource"]);
        Assert.Equal(42, ((JsonElement)decoded.Data!).GetProperty("answer").GetInt32());
        Assert.Equal("{\"answer\":42}", push.Body);
        var secret = subscription.GetProperty("secret").GetString()!;
        Assert.True(Altinn.Events.Core.Subscriptions.WebhookSignature.Verify(secret, push.Headers["webhook-id"], push.Headers["webhook-timestamp"], push.Body, push.Headers["webhook-signature"]));
    }

    public static TheoryData<string, string> BadProtocolInput => new()
    {
        { """{"contentMode":"smoke-signals"}""", "contentMode" },
        { """{"contentMode":"batched","batchMaxEvents":0}""", "batchMaxEvents" },
        { """{"contentMode":"batched","batchMaxEvents":1001}""", "batchMaxEvents" },
        { """{"contentMode":"batched","batchMaxBytes":100}""", "batchMaxBytes" },
        { """{"contentMode":"batched","batchMaxBytes":5000000}""", "batchMaxBytes" },
        { """{"batchMaxEvents":10}""", "batchMaxEvents" },
        { """{"contentMode":"binary","batchMaxBytes":2048}""", "batchMaxBytes" },
        { """{"validationMethod":"carrier-pigeon"}""", "validationMethod" },
        { """{"contentMode":"batched","batchMaxEvents":"many"}""", "batchMaxEvents" },
        { """{"contentMode":"batched","batchMaxBytes":1.5}""", "batchMaxBytes" },
        { """{"validationMethod":7}""", "validationMethod" },
    };

    [Theory]
    [MemberData(nameof(BadProtocolInput))]
    public async Task BadContentModeBatchSizeOrValidationMethod_Is400NamingTheField(string extra, string field)
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var body = JsonNode.Parse(extra)!.AsObject();
        body["endPoint"] = fixture.Receiver.Endpoint();
        body["resourceFilter"] = EventBuilder.TestResource;

        var response = await organisation.PostAsync(Path, JsonContent.Create(body));

        await AssertInvalidAsync(response, field);
    }

    [Fact]
    public async Task PatchToBatched_PushesWaitingDeliveriesAsSdkReadableBatchesWithinBatchMaxEvents_OldestFirst()
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var tag = Guid.NewGuid().ToString("N");
        var (location, endpoint) = await SubscribeAsync(organisation, new JsonObject { ["filters"] = new JsonArray(new JsonObject { ["exact"] = new JsonObject { ["runtag"] = tag } }) });

        var patched = await organisation.PatchAsync(location, JsonContent.Create(new JsonObject { ["contentMode"] = "batched", ["batchMaxEvents"] = 3, ["enabled"] = false }));
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var shown = await patched.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("batched", 3), (shown.GetProperty("contentMode").GetString(), shown.GetProperty("batchMaxEvents").GetInt32()));
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await PublishAsync(EventBuilder.Generic().With("runtag", tag)));
        }

        var id = Guid.Parse(location.Split('/')[^1]);
        Assert.True(await TestQueues.EventuallyAsync(async () => await StatusCountAsync(id, "paused") == 7, Patience), "the deliveries were not paused");
        Assert.Equal(HttpStatusCode.OK, (await organisation.PatchAsync(location, JsonContent.Create(new JsonObject { ["enabled"] = true }))).StatusCode);

        Assert.True(await TestQueues.EventuallyAsync(async () => await StatusCountAsync(id, "delivered") == 7, Patience), "the deliveries were not pushed");
        var pushes = fixture.Receiver.RequestsTo(endpoint).Where(r => r.Method == "POST" && r.Body.Contains(tag, StringComparison.Ordinal)).ToList();
        var formatter = new CloudNative.CloudEvents.SystemTextJson.JsonEventFormatter();
        var received = new List<string>();
        foreach (var push in pushes)
        {
            Assert.StartsWith("application/cloudevents-batch+json", push.Headers["Content-Type"], StringComparison.Ordinal);
            var batch = formatter.DecodeBatchModeMessage(Encoding.UTF8.GetBytes(push.Body), new System.Net.Mime.ContentType(push.Headers["Content-Type"]), null);
            Assert.InRange(batch.Count, 1, 3);
            received.AddRange(batch.Select(e => e.Id!));
        }

        Assert.Equal(ids, received);
        Assert.True(pushes.Count is >= 3 and < 7, $"{pushes.Count} requests for 7 events in batches of 3");
    }

    [Fact]
    public async Task OptionsValidation_ConsentingEndpoint_IsValidatedByTheHandshake_AndItsAllowedRateStoredAndEnforced()
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var endpoint = fixture.Receiver.Endpoint();
        fixture.Receiver.AnswerOptions(endpoint, 200, ("WebHook-Allowed-Origin", Origin), ("WebHook-Allowed-Rate", "120"));
        var tag = Guid.NewGuid().ToString("N");

        var created = await organisation.PostAsync(Path, JsonContent.Create(new JsonObject
        {
            ["endPoint"] = endpoint,
            ["resourceFilter"] = EventBuilder.TestResource,
            ["validationMethod"] = "options",
            ["filters"] = new JsonArray(new JsonObject { ["exact"] = new JsonObject { ["runtag"] = tag } }),
        }));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.AbsolutePath;
        await ValidatedAsync(organisation, location);
        var shown = await organisation.GetFromJsonAsync<JsonElement>(location);
        Assert.Equal(("options", 120), (shown.GetProperty("validationMethod").GetString(), shown.GetProperty("allowedRate").GetInt32()));
        var handshake = Assert.Single(fixture.Receiver.RequestsTo(endpoint));
        Assert.Equal("OPTIONS", handshake.Method);
        Assert.Equal(Origin, handshake.Headers["WebHook-Request-Origin"]);

        // 120 a minute: pushes at least half a second apart.
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await PublishAsync(EventBuilder.Generic().With("runtag", tag)));
        }

        Assert.True(await EventuallyReceivedAsync(endpoint, [.. ids]), "the events were not pushed");
        var arrivals = fixture.Receiver.RequestsTo(endpoint).Where(r => r.Method == "POST").Select(r => r.At).Order().ToList();
        Assert.Equal(6, arrivals.Count);
        var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => b - a).ToList();
        Assert.True(gaps.All(g => g >= TimeSpan.FromMilliseconds(375)), $"pushes came faster than 120 a minute: {string.Join(", ", gaps.Select(g => (int)g.TotalMilliseconds))} ms apart");
        Assert.True(arrivals[^1] - arrivals[0] >= TimeSpan.FromSeconds(2.2), $"6 pushes at 120 a minute took {arrivals[^1] - arrivals[0]}");
    }

    public static TheoryData<string, int, string[]> RefusingHandshakes => new()
    {
        { "another origin", 200, ["WebHook-Allowed-Origin", "someone-else.example"] },
        { "no consent header", 200, [] },
        { "non-2xx", 403, ["WebHook-Allowed-Origin", "*"] },
        { "a bad rate", 200, ["WebHook-Allowed-Origin", "*", "WebHook-Allowed-Rate", "fast"] },
    };

    [Theory]
    [MemberData(nameof(RefusingHandshakes))]
    public async Task OptionsValidation_RefusingEndpoint_IsRetriedThenFailed_WithTheReason_AndGetsNothing(string refusal, int status, string[] headers)
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var endpoint = fixture.Receiver.Endpoint();
        fixture.Receiver.AnswerOptions(endpoint, status, [.. headers.Chunk(2).Select(h => (h[0], h[1]))]);

        var created = await organisation.PostAsync(Path, JsonContent.Create(new JsonObject { ["endPoint"] = endpoint, ["resourceFilter"] = EventBuilder.TestResource, ["validationMethod"] = "options" }));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.AbsolutePath;
        Assert.True(
            await TestQueues.EventuallyAsync(async () => (await organisation.GetFromJsonAsync<JsonElement>(location)).GetProperty("validationStatus").GetString() == "failed", Patience),
            $"{refusal}: the subscription did not fail validation");
        var shown = await organisation.GetFromJsonAsync<JsonElement>(location);
        Assert.False(shown.GetProperty("validated").GetBoolean());
        Assert.Equal(2, shown.GetProperty("validationAttempts").GetInt32()); // the first and one retry (Validation:RetrySchedule 1s)
        var reason = shown.GetProperty("lastValidationError").GetString()!;
        Assert.Contains(status == 200 ? "WebHook-Allowed-" : "HTTP 403", reason, StringComparison.Ordinal);
        Assert.All(fixture.Receiver.RequestsTo(endpoint), r => Assert.Equal("OPTIONS", r.Method));
    }

    private const string Origin = "events.test.altinn.example";

    public static TheoryData<string, string, int[]> Dialects => new()
    {
        // Events published: 0 type a.created, colour red; 1 type a.process.done, colour blue; 2 type b.created, no colour.
        { "typeFilter list", """{"typeFilter":["a.created","b.created"]}""", [0, 2] },
        { "typeFilter wildcard", """{"typeFilter":"a.process.*"}""", [1] },
        { "exact", """{"filters":[{"exact":{"colour":"red"}}]}""", [0] },
        { "prefix", """{"filters":[{"prefix":{"type":"a."}}]}""", [0, 1] },
        { "suffix", """{"filters":[{"suffix":{"type":".created"}}]}""", [0, 2] },
        { "all", """{"filters":[{"all":[{"prefix":{"type":"a."}},{"exact":{"colour":"blue"}}]}]}""", [1] },
        { "any", """{"filters":[{"any":[{"exact":{"colour":"blue"}},{"exact":{"type":"b.created"}}]}]}""", [1, 2] },
        { "not", """{"filters":[{"not":{"exact":{"colour":"red"}}}]}""", [1, 2] },
        { "typeFilter and filters together", """{"typeFilter":"a.*","filters":[{"not":{"exact":{"colour":"red"}}}]}""", [1] },
    };

    [Theory]
    [MemberData(nameof(Dialects))]
    public async Task EachFilterDialect_PushesExactlyTheEventsItSelects(string dialect, string filter, int[] expected)
    {
        using var organisation = fixture.Api(TestTokens.ForOrganisation("991825827"));
        var tag = Guid.NewGuid().ToString("N");
        var extra = JsonNode.Parse(filter)!.AsObject();
        var scoped = new JsonObject { ["exact"] = new JsonObject { ["runtag"] = tag } };
        extra["filters"] = extra["filters"] is JsonArray given ? new JsonArray([.. given.Select(g => g!.DeepClone()), scoped]) : new JsonArray(scoped);
        var (_, endpoint) = await SubscribeAsync(organisation, extra);

        string[] ids =
        [
            await PublishAsync(EventBuilder.Generic().With("type", "a.created").With("colour", "red").With("runtag", tag)),
            await PublishAsync(EventBuilder.Generic().With("type", "a.process.done").With("colour", "blue").With("runtag", tag)),
            await PublishAsync(EventBuilder.Generic().With("type", "b.created").With("runtag", tag)),
        ];

        Assert.True(await EventuallyReceivedAsync(endpoint, [.. expected.Select(i => ids[i])]), $"{dialect}: the selected events were not pushed");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        for (var i = 0; i < ids.Length; i++)
        {
            Assert.True(Pushes(endpoint, ids[i]).Count == (expected.Contains(i) ? 1 : 0), $"{dialect}: event {i}");
        }
    }

    private async Task<(string Location, string Endpoint)> SubscribeAsync(HttpClient client, JsonObject extra)
    {
        var endpoint = fixture.Receiver.Endpoint();
        var body = new JsonObject { ["endPoint"] = endpoint, ["resourceFilter"] = EventBuilder.TestResource };
        foreach (var (key, value) in extra)
        {
            body[key] = value?.DeepClone();
        }

        var created = await client.PostAsync(Path, JsonContent.Create(body));
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var location = created.Headers.Location!.AbsolutePath;
        await ValidatedAsync(client, location);
        return (location, endpoint);
    }

    private static async Task ValidatedAsync(HttpClient client, string location) =>
        Assert.True(await TestQueues.EventuallyAsync(async () => (await client.GetFromJsonAsync<JsonElement>(location)).GetProperty("validated").GetBoolean(), Patience), "the subscription was not validated");

    private async Task<string> PublishAsync(EventBuilder e)
    {
        using var publisher = fixture.Api(TestTokens.ForOrg("ttd"));
        var response = await publisher.PostAsync("/events/api/v1/events", new StringContent(e.With("subject", "/party/50004").Json(), Encoding.UTF8, "application/cloudevents+json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return e.Id;
    }

    private Task<bool> EventuallyReceivedAsync(string endpoint, params string[] ids) =>
        TestQueues.EventuallyAsync(() => Task.FromResult(ids.All(id => Pushes(endpoint, id).Count > 0)), Patience);

    private List<ReceivedRequest> Pushes(string endpoint, string eventId) =>
        [.. fixture.Receiver.RequestsTo(endpoint).Where(r => r.Method == "POST" && r.Body.Contains(eventId, StringComparison.Ordinal))];

    private async Task<long> StatusCountAsync(Guid subscriptionId, string status)
    {
        await using var connection = await fixture.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM deliveries WHERE subscription_id = @subscriptionId AND status = @status", new { subscriptionId, status });
    }

    private static async Task AssertInvalidAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    /// <summary>The API and every stage with the run command's configuration; one push at a time per endpoint, so arrival order is push order.</summary>
    public sealed class ProtocolFixture : IAsyncLifetime
    {
        private readonly TestQueues _queues = new();
        private ApiFactory? _api;
        private StagesFactory? _stages;

        public DatabaseFixture Database { get; } = new();

        public WebhookReceiver Receiver { get; private set; } = null!;

        public HttpClient Api(string token)
        {
            var client = _api!.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task InitializeAsync()
        {
            await Database.InitializeAsync();
            await _queues.CreateAllAsync();
            Receiver = await WebhookReceiver.StartAsync();
            var settings = _queues.Settings(createOnStart: false);
            settings["environment"] = "Development";
            settings["Database:ConnectionString"] = Database.ConnectionString;
            settings["Authentication:Issuers:dev:JwksFile"] = TestTokens.Trusted.JwksPath;
            settings["Subscriptions:PublicBaseUrl"] = "http://127.0.0.1:5080";
            settings["Outbound:MaxConcurrencyPerEndpoint"] = "1";
            settings["Validation:RetrySchedule"] = "1s";
            settings["Validation:RequestOrigin"] = Origin;
            _api = new ApiFactory(settings);
            _stages = new StagesFactory(settings);
            _ = _api.Server;
            _ = _stages.Server;
        }

        public async Task DisposeAsync()
        {
            await _stages!.DisposeAsync();
            await _api!.DisposeAsync();
            await Receiver.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
