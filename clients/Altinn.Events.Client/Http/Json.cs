using System.Text.Json;
using System.Text.Json.Serialization;

namespace Altinn.Events.Client.Json;

/// <summary>The service's JSON contracts (camelCase; nulls left out of requests).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubscriptionRequest))]
[JsonSerializable(typeof(Subscription))]
[JsonSerializable(typeof(SubscriptionList))]
[JsonSerializable(typeof(SecretAnswer))]
[JsonSerializable(typeof(DeliveryLogPage))]
[JsonSerializable(typeof(RedeliveryRequest))]
[JsonSerializable(typeof(RedeliveryResult))]
[JsonSerializable(typeof(WhoAmI))]
[JsonSerializable(typeof(string))]
internal sealed partial class ClientJson : JsonSerializerContext;
