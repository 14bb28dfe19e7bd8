using System.Text.Json;
using System.Text.Json.Serialization;
using Altinn.Events.Core.Delivery;
using Altinn.Events.Core.Events;
using Altinn.Events.Core.Subscriptions;
using Altinn.Events.Messaging.Listener;

namespace Altinn.Events.Messaging.Messages;

/// <summary>
/// The one serializer for every queue message body: the stage messages, the poison envelopes, and the envelope reader
/// the operator endpoints use. Web defaults (camelCase names, case-insensitive reads, numbers read from strings too,
/// nulls written): the wire format the services wrote with <c>JsonSerializerDefaults.Web</c> before this context, so
/// messages in flight across a deploy still read. <c>QueueMessageWireTests</c> holds it to literal old-format JSON.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(InboundMessage))]
[JsonSerializable(typeof(OutboundMessage))]
[JsonSerializable(typeof(ValidationMessage))]
[JsonSerializable(typeof(PoisonMessage))]
[JsonSerializable(typeof(DeliveryPoisonMessage))]
[JsonSerializable(typeof(PoisonEnvelope))]
public sealed partial class QueueJsonContext : JsonSerializerContext;
