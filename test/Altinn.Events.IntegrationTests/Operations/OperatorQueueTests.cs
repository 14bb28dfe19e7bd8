using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.IntegrationTests.Infrastructure;
using Altinn.Events.Messaging.Listener;

namespace Altinn.Events.IntegrationTests.Operations;

/// <summary>List, peek, redrive and discard against Azurite, with poison messages as the listener writes them.</summary>
public sealed class OperatorQueueTests(ApiFixture api) : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private string InboundPoison => api.Queues.Inbound + "-poison";

    public async Task InitializeAsync()
    {
        // The tests of this class share the fixture's queues and run one after another: each starts from empty queues.
        foreach (var name in new[] { api.Queues.Inbound, api.Queues.Outbound, api.Queues.Validation })
        {
            await api.Queues.Queue(name).ClearMessagesAsync();
            await api.Queues.Poison(name).ClearMessagesAsync();
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task ListQueues_ShowsEveryQueueAndItsPoisonQueue_WithCounts()
    {
        await PoisonAsync(api.Queues.Inbound, "{\"events\":[]}", "bad");
        await PoisonAsync(api.Queues.Inbound, "{\"events\":[]}", "bad again");
        using var client = Operator();

        var list = await client.GetFromJsonAsync<JsonElement>("/operator/queues");

        var queues = list.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("name").GetString()!);
        Assert.Equal(6, queues.Count);
        foreach (var name in new[] { api.Queues.Inbound, api.Queues.Outbound, api.Queues.Validation })
        {
            Assert.Equal("main", queues[name].GetProperty("kind").GetString());
            Assert.Equal("poison", queues[name + "-poison"].GetProperty("kind").GetString());
            Assert.Equal(name, queues[name + "-poison"].GetProperty("mainQueue").GetString());
            Assert.True(queues[name].GetProperty("exists").GetBoolean());
        }

        Assert.Equal(2, queues[InboundPoison].GetProperty("approximateMessageCount").GetInt64());
        Assert.Equal(0, queues[api.Queues.Inbound].GetProperty("approximateMessageCount").GetInt64());
    }

    [Fact]
    public async Task Peek_PoisonQueue_ShowsTheEnvelopesReasonAndBody_AndTakesNothing()
    {
        var body = "{\"events\":[{\"seq\":17,\"registered\":\"2025-01-02T03:04:05Z\"}]}";
        var sent = await PoisonAsync(api.Queues.Inbound, body, "PostgreSQL was down for 3 minutes");
        using var client = Operator();

        var page = await client.GetFromJsonAsync<JsonElement>($"/operator/queues/{InboundPoison}/messages?max=5");
        var again = await client.GetFromJsonAsync<JsonElement>($"/operator/queues/{InboundPoison}/messages");

        var message = Assert.Single(page.GetProperty("messages").EnumerateArray());
        Assert.Equal(sent, message.GetProperty("messageId").GetString());
        var poison = message.GetProperty("poison");
        Assert.Equal("PostgreSQL was down for 3 minutes", poison.GetProperty("reason").GetString());
        Assert.Equal(api.Queues.Inbound, poison.GetProperty("queue").GetString());
        Assert.Equal(5, poison.GetProperty("attempts").GetInt64());
        Assert.True(poison.TryGetProperty("failedAt", out _));
        Assert.True(poison.GetProperty("redrivable").GetBoolean());
        Assert.Equal(body, JsonSerializer.Deserialize<PoisonMessage>(message.GetProperty("body").GetString()!, Json)!.Body);
        Assert.Single(again.GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Redrive_ById_SendsTheOriginalBodyToTheMainQueue_AndRemovesOnlyThatOne()
    {
        var first = "{\"subscriptionId\":\"" + Guid.NewGuid() + "\",\"attempt\":1,\"run\":0}";
        var second = "{\"subscriptionId\":\"" + Guid.NewGuid() + "\",\"attempt\":1,\"run\":0}";
        var firstId = await PoisonAsync(api.Queues.Validation, first, "transient");
        var secondId = await PoisonAsync(api.Queues.Validation, second, "transient");
        using var client = Operator();

        var response = await client.PostAsJsonAsync($"/operator/queues/{api.Queues.Validation}-poison/redrive", new { messageIds = new[] { firstId, "no-such-id" } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, result.GetProperty("moved").GetInt32());
        Assert.Equal(api.Queues.Validation, result.GetProperty("mainQueue").GetString());
        Assert.Equal(["no-such-id"], result.GetProperty("notFound").EnumerateArray().Select(e => e.GetString()));
        var main = await api.Queues.PeekAsync(api.Queues.Validation);
        Assert.Equal(first, Assert.Single(main).Body.ToString());

        // The other one stays, and is visible again at once.
        var left = (await api.Queues.Poison(api.Queues.Validation).PeekMessagesAsync(32)).Value;
        Assert.Equal(secondId, Assert.Single(left).MessageId);
    }

    [Fact]
    public async Task Redrive_WithMax_MovesThatMany_AndSkipsFailedDeliveriesAndForeignBodies()
    {
        await PoisonAsync(api.Queues.Outbound, "{\"deliveries\":[]}", "dequeue limit");
        var delivery = new DeliveryPoisonMessage(
            api.Queues.Outbound, "claim:x", 12, "gave up", DateTimeOffset.UtcNow, null, "{\"deliveries\":[]}", Guid.NewGuid(), "e1", 7, DateTimeOffset.UtcNow, []);
        var deliveryId = (await api.Queues.Poison(api.Queues.Outbound).SendMessageAsync(JsonSerializer.Serialize(delivery, Json))).Value.MessageId;
        var foreignId = (await api.Queues.Poison(api.Queues.Outbound).SendMessageAsync("not an envelope")).Value.MessageId;
        await PoisonAsync(api.Queues.Outbound, "{\"deliveries\":[1]}", "dequeue limit");
        using var client = Operator();

        var response = await client.PostAsJsonAsync($"/operator/queues/{api.Queues.Outbound}-poison/redrive", new { max = 10 });

        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, result.GetProperty("moved").GetInt32());
        var skipped = result.GetProperty("skipped").EnumerateArray().ToDictionary(s => s.GetProperty("messageId").GetString()!, s => s.GetProperty("reason").GetString()!);
        Assert.Contains("redeliver", skipped[deliveryId]);
        Assert.Contains("not a poison envelope", skipped[foreignId]);
        Assert.Equal(["{\"deliveries\":[1]}", "{\"deliveries\":[]}"], (await api.Queues.PeekAsync(api.Queues.Outbound)).Select(m => m.Body.ToString()).Order());
        Assert.Equal(2, (await api.Queues.Poison(api.Queues.Outbound).PeekMessagesAsync(32)).Value.Length);
    }

    [Fact]
    public async Task Discard_ById_DeletesThatOne_AndLeavesTheOthersVisible()
    {
        var doomed = await PoisonAsync(api.Queues.Inbound, "{\"events\":[]}", "malformed");
        var kept1 = await PoisonAsync(api.Queues.Inbound, "{\"events\":[1]}", "malformed");
        var kept2 = await PoisonAsync(api.Queues.Inbound, "{\"events\":[2]}", "malformed");
        using var client = Operator();

        var response = await client.PostAsJsonAsync($"/operator/queues/{InboundPoison}/discard", new { messageIds = new[] { doomed } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, result.GetProperty("discarded").GetInt32());
        var left = (await api.Queues.Poison(api.Queues.Inbound).PeekMessagesAsync(32)).Value.Select(m => m.MessageId).Order();
        Assert.Equal(new[] { kept1, kept2 }.Order(), left);
        Assert.Empty(await api.Queues.PeekAsync(api.Queues.Inbound));
    }

    [Fact]
    public async Task Discard_WithMax_DeletesThatManyFromTheFront()
    {
        for (var i = 0; i < 4; i++)
        {
            await PoisonAsync(api.Queues.Inbound, "{\"events\":[]}", "malformed");
        }

        using var client = Operator();

        var response = await client.PostAsJsonAsync($"/operator/queues/{InboundPoison}/discard", new { max = 3 });

        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, result.GetProperty("discarded").GetInt32());
        Assert.Single((await api.Queues.Poison(api.Queues.Inbound).PeekMessagesAsync(32)).Value);
    }

    [Theory]
    [InlineData("GET", "/operator/queues/nope/messages")]
    [InlineData("POST", "/operator/queues/nope-poison/redrive")]
    [InlineData("POST", "/operator/queues/nope-poison/discard")]
    public async Task UnknownQueue_Returns404NamingIt(string method, string path)
    {
        using var client = Operator();

        var response = method == "GET" ? await client.GetAsync(path) : await client.PostAsJsonAsync(path, new { max = 1 });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("'nope", problem.GetProperty("detail").GetString());
    }

    public static TheoryData<string, string, object?, string> BadRequests => new()
    {
        { "GET", "messages?max=0", null, "max" },
        { "GET", "messages?max=33", null, "max" },
        { "GET", "messages?max=ten", null, "max" },
        { "POST", "redrive", new { max = 0 }, "max" },
        { "POST", "redrive", new { max = 1001 }, "max" },
        { "POST", "redrive", new { max = "many" }, "max" },
        { "POST", "redrive", new { messageIds = Array.Empty<string>() }, "messageIds" },
        { "POST", "discard", new { messageIds = new[] { "a" }, max = 1 }, "max" },
        { "POST", "discard", new { }, "messageIds" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadParameters_Return400NamingTheField(string method, string action, object? body, string field)
    {
        using var client = Operator();
        var url = $"/operator/queues/{InboundPoison}/{action}";

        var response = method == "GET" ? await client.GetAsync(url) : await client.PostAsJsonAsync(url, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("redrive")]
    [InlineData("discard")]
    public async Task RedriveOrDiscard_OnAMainQueue_Returns400AndTouchesNothing(string action)
    {
        await api.Queues.Queue(api.Queues.Inbound).SendMessageAsync("{\"events\":[]}");
        using var client = Operator();

        var response = await client.PostAsJsonAsync($"/operator/queues/{api.Queues.Inbound}/{action}", new { max = 5 });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("queue", out _));
        Assert.Single(await api.Queues.PeekAsync(api.Queues.Inbound));
    }

    private HttpClient Operator() => api.Client(TestTokens.ForOperator(roles: [TestTokens.OperatorRole]));

    /// <summary>Puts a poison envelope on <paramref name="queue"/>'s poison queue exactly as the listener writes it.</summary>
    private async Task<string> PoisonAsync(string queue, string body, string reason)
    {
        var envelope = new PoisonMessage(queue, Guid.NewGuid().ToString(), 5, reason, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(-3), body);
        var receipt = await api.Queues.Poison(queue).SendMessageAsync(JsonSerializer.Serialize(envelope, Json));
        return receipt.Value.MessageId;
    }
}
