using System.Text.Json;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Listener;
using Altinn.Events.Messaging.Messages;

namespace Altinn.Events.IntegrationTests.Foundation;

/// <summary>
/// The queue messages keep their wire format: <see cref="QueueJsonContext"/> writes exactly what the services wrote with
/// <c>new JsonSerializerOptions(JsonSerializerDefaults.Web)</c> before it, and reads what they wrote, so messages in
/// flight during a deploy (and poison messages kept for weeks) are still read.
/// </summary>
public sealed class QueueMessageWireTests
{
    // What every queue writer used before the context: reflection, web defaults.
    private static readonly JsonSerializerOptions Old = new(JsonSerializerDefaults.Web);

    private static readonly DateTimeOffset Registered = new(2026, 12, 1, 10, 0, 0, 123, TimeSpan.Zero);
    private static readonly Guid Subscription = Guid.Parse("0b8f4c3e-2a8d-4f3b-9d7e-5c1a2b3c4d5e");

    [Fact]
    public void InboundMessage_IsWrittenAsBefore_AndReadsOldJson()
    {
        var message = new InboundMessage([new EventReference(42, Registered), new EventReference(43, Registered)]);
        const string wire = """{"events":[{"seq":42,"registered":"2026-12-01T10:00:00.123+00:00"},{"seq":43,"registered":"2026-12-01T10:00:00.123+00:00"}]}""";

        Assert.Equal(wire, JsonSerializer.Serialize(message, QueueJsonContext.Default.InboundMessage));
        Assert.Equal(JsonSerializer.Serialize(message, Old), JsonSerializer.Serialize(message, QueueJsonContext.Default.InboundMessage));
        var read = JsonSerializer.Deserialize(wire, QueueJsonContext.Default.InboundMessage)!;
        Assert.Equal(message.Events, read.Events);
    }

    [Fact]
    public void OutboundMessage_IsWrittenAsBefore_AndReadsOldJson_WithOrWithoutTheAttempt()
    {
        var message = new OutboundMessage([new DeliveryReference(Subscription, 42, Registered)]);
        const string wire = """{"deliveries":[{"subscriptionId":"0b8f4c3e-2a8d-4f3b-9d7e-5c1a2b3c4d5e","seq":42,"registered":"2026-12-01T10:00:00.123+00:00","attempt":1}]}""";

        Assert.Equal(wire, JsonSerializer.Serialize(message, QueueJsonContext.Default.OutboundMessage));
        Assert.Equal(JsonSerializer.Serialize(message, Old), JsonSerializer.Serialize(message, QueueJsonContext.Default.OutboundMessage));
        Assert.Equal(message.Deliveries, JsonSerializer.Deserialize(wire, QueueJsonContext.Default.OutboundMessage)!.Deliveries);

        // A retry written before retries moved to PostgreSQL carried a later attempt; one without the field defaults to 1.
        var retry = JsonSerializer.Deserialize("""{"deliveries":[{"subscriptionId":"0b8f4c3e-2a8d-4f3b-9d7e-5c1a2b3c4d5e","seq":"42","registered":"2026-12-01T10:00:00.123+00:00","attempt":3}]}""", QueueJsonContext.Default.OutboundMessage)!;
        Assert.Equal(new DeliveryReference(Subscription, 42, Registered, 3), Assert.Single(retry.Deliveries));
        var bare = JsonSerializer.Deserialize("""{"Deliveries":[{"SubscriptionId":"0b8f4c3e-2a8d-4f3b-9d7e-5c1a2b3c4d5e","Seq":42,"Registered":"2026-12-01T10:00:00.123Z"}]}""", QueueJsonContext.Default.OutboundMessage)!;
        Assert.Equal(new DeliveryReference(Subscription, 42, Registered, 1), Assert.Single(bare.Deliveries));
    }

    [Fact]
    public void ValidationMessage_IsWrittenAsBefore_AndReadsOldJson_WithOrWithoutTheRun()
    {
        var message = new ValidationMessage(Subscription, 2, 5);
        const string wire = """{"subscriptionId":"0b8f4c3e-2a8d-4f3b-9d7e-5c1a2b3c4d5e","attempt":2,"run":5}""";

        Assert.Equal(wire, JsonSerializer.Serialize(message, QueueJsonContext.Default.ValidationMessage));
        Assert.Equal(JsonSerializer.Serialize(message, Old), JsonSerializer.Serialize(message, QueueJsonContext.Default.ValidationMessage));
        Assert.Equal(message, JsonSerializer.Deserialize(wire, QueueJsonContext.Default.ValidationMessage));
        Assert.Equal(new ValidationMessage(Subscription, 1, 0), JsonSerializer.Deserialize("""{"subscriptionId":"0b8f4c3e-2a8d-4f3b-9d7e-5c1a2b3c4d5e","attempt":1}""", QueueJsonContext.Default.ValidationMessage));
    }

    [Fact]
    public void PoisonMessage_IsWrittenAsBefore_WithNullsWritten()
    {
        var message = new PoisonMessage("events-inbound", "m-1", 5, "Failed 5 times", Registered, null, """{"events":[]}""");
        const string wire = """{"queue":"events-inbound","messageId":"m-1","dequeueCount":5,"reason":"Failed 5 times","failedAt":"2026-12-01T10:00:00.123+00:00","insertedOn":null,"body":"{\u0022events\u0022:[]}"}""";

        Assert.Equal(wire, JsonSerializer.Serialize(message, QueueJsonContext.Default.PoisonMessage));
        Assert.Equal(JsonSerializer.Serialize(message, Old), JsonSerializer.Serialize(message, QueueJsonContext.Default.PoisonMessage));
        Assert.Equal(message, JsonSerializer.Deserialize(wire, QueueJsonContext.Default.PoisonMessage));
    }

    [Fact]
    public void DeliveryPoisonMessage_IsWrittenAsBefore_AndReadsAsAnEnvelope()
    {
        var message = new DeliveryPoisonMessage(
            "events-outbound", "claim:7", 2, "Last attempt failed", Registered, null, "{}", Subscription, "e-1", 42, Registered,
            [new DeliveryAttemptEntry(1, Registered, 500, 12, null, "failed"), new DeliveryAttemptEntry(2, Registered, null, 3000, "timeout", "failed")]);

        var written = JsonSerializer.Serialize(message, QueueJsonContext.Default.DeliveryPoisonMessage);

        Assert.Equal(JsonSerializer.Serialize(message, Old), written);
        Assert.Contains("""
            "history":[{"attempt":1,"attemptedAt":"2026-12-01T10:00:00.123+00:00","statusCode":500,"durationMs":12,"error":null,"outcome":"failed"}
            """.Trim(), written, StringComparison.Ordinal);
        var read = JsonSerializer.Deserialize(written, QueueJsonContext.Default.DeliveryPoisonMessage)!;
        Assert.Equal(message.History, read.History);
        Assert.Equal(message with { History = read.History }, read);

        var envelope = JsonSerializer.Deserialize(written, QueueJsonContext.Default.PoisonEnvelope)!;
        Assert.Equal(new PoisonEnvelope("events-outbound", "claim:7", 2, "Last attempt failed", Registered, null, "{}", Subscription, "e-1"), envelope);
    }
}
