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

/// <summary>A list of strings that the service shows as a plain string when it has one entry (<c>typeFilter</c>).</summary>
internal sealed class OneOrManyStringsConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.String:
                return [reader.GetString()!];
            case JsonTokenType.StartArray:
                var items = new List<string>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("Expected a string."));
                }

                return items;
            default:
                throw new JsonException("Expected a string or an array of strings.");
        }
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        if (value is [var one])
        {
            writer.WriteStringValue(one);
            return;
        }

        writer.WriteStartArray();
        foreach (var item in value)
        {
            writer.WriteStringValue(item);
        }

        writer.WriteEndArray();
    }
}
