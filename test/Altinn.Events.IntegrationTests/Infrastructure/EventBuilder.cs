using System.Text.Json.Nodes;

namespace Altinn.Events.IntegrationTests.Infrastructure;

/// <summary>Builds CloudEvent JSON for tests; every event gets a fresh id unless one is given.</summary>
public sealed class EventBuilder
{
    public const string TestResource = "urn:altinn:resource:ttd-events-test";

    private readonly JsonObject _event = new()
    {
        ["specversion"] = "1.0",
        ["id"] = Guid.NewGuid().ToString(),
        ["source"] = "https://tests.example/events",
        ["type"] = "test.created",
        ["resource"] = TestResource,
        ["subject"] = "/party/50001",
    };

    public static EventBuilder Generic() => new();

    /// <summary>An app event body for <c>POST /app</c> from ttd/apps-test about party 50001.</summary>
    public static EventBuilder App(string org = "ttd", string app = "apps-test", int partyId = 50001)
    {
        var builder = new EventBuilder();
        builder._event.Remove("id");
        builder._event.Remove("resource");
        builder._event["source"] = $"https://{org}.apps.altinn.no/{org}/{app}/instances/{partyId}/{Guid.NewGuid()}";
        builder._event["type"] = "app.instance.created";
        builder._event["subject"] = $"/party/{partyId}";
        return builder;
    }

    public string Id => (string)_event["id"]!;

    public EventBuilder With(string attribute, JsonNode? value)
    {
        _event[attribute] = value;
        return this;
    }

    public EventBuilder Without(string attribute)
    {
        _event.Remove(attribute);
        return this;
    }

    public JsonObject Build() => (JsonObject)_event.DeepClone();

    public string Json() => _event.ToJsonString();
}
