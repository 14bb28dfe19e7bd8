using Altinn.Events.Messaging;
using Altinn.Events.Messaging.Listener;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>Queue names unique to one test, on the Azurite the test script started.</summary>
public sealed class TestQueues
{
    private readonly QueueServiceClient _service = new(TestEnvironment.QueuesConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });

    public TestQueues()
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        Inbound = "in-" + suffix;
        Outbound = "out-" + suffix;
        Validation = "val-" + suffix;
    }

    public string Inbound { get; }

    public string Outbound { get; }

    public string Validation { get; }

    public QueueClient Queue(string name) => _service.GetQueueClient(name);

    public QueueClient Poison(string name) => _service.GetQueueClient(QueueClientFactory.PoisonQueueName(name));

    /// <summary>Settings for the <c>Queues</c> section that point at these queues.</summary>
    public Dictionary<string, string?> Settings(bool createOnStart = true) => new()
    {
        ["Queues:ConnectionString"] = TestEnvironment.QueuesConnectionString,
        ["Queues:InboundQueue"] = Inbound,
        ["Queues:OutboundQueue"] = Outbound,
        ["Queues:ValidationQueue"] = Validation,
        ["Queues:CreateOnStart"] = createOnStart ? "true" : "false",
    };

    public async Task CreateAllAsync()
    {
        foreach (var name in new[] { Inbound, Outbound, Validation })
        {
            await Queue(name).CreateIfNotExistsAsync();
            await Poison(name).CreateIfNotExistsAsync();
        }
    }

    /// <summary>Every message on a queue, read without taking it (peek, up to 32).</summary>
    public async Task<PeekedMessage[]> PeekAsync(string name) => (await Queue(name).PeekMessagesAsync(32)).Value;

    public async Task<PoisonMessage[]> PoisonedAsync(string name) =>
        [.. (await Poison(name).PeekMessagesAsync(32)).Value.Select(m => System.Text.Json.JsonSerializer.Deserialize<PoisonMessage>(m.Body.ToString(), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!)];

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout ends; returns whether it held.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return await condition();
    }
}
